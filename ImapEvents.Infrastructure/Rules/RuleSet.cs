using ImapEvents.Core.Rules;
using ImapEvents.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ImapEvents.Infrastructure.Settings;

namespace ImapEvents.Infrastructure.Rules;

public sealed class RuleOptions : ICheckedSettings
{
    public const string SectionName = "Rules";

    /// <summary>IANA zone for rules that name none; the machine's zone when empty.</summary>
    public string? DefaultTimeZone { get; set; }

    public TimeZoneInfo ResolveDefaultZone() => CompiledRules.ResolveZone(DefaultTimeZone, TimeZoneInfo.Local);

    /// <inheritdoc/>
    public IReadOnlyList<string> Problems() =>
        string.IsNullOrWhiteSpace(DefaultTimeZone) || TimeZoneInfo.TryFindSystemTimeZoneById(DefaultTimeZone, out _)
            ? []
            // Else every rule without a zone of its own would quietly keep the machine's time instead.
            : [$"Rules__DefaultTimeZone is \"{DefaultTimeZone}\", which is not a time zone this machine knows: use a name such as Europe/Berlin, or leave it empty for the machine's own zone."];
}

/// <summary>
/// This instance's compiled rules. Rebuilt when the rule-set version in PostgreSQL moves on: every
/// change bumps it and sends a NOTIFY, which <see cref="RuleChangeListener"/> turns into a rebuild here.
/// </summary>
public sealed class RuleSet(IDbContextFactory<AppDbContext> dbFactory, IOptions<RuleOptions> options, ILogger<RuleSet> logger) : IDisposable
{
    private readonly SemaphoreSlim rebuilding = new(1, 1);
    private volatile CompiledRules current = CompiledRules.Empty;

    // Every reason to rebuild bumps "requested"; a rebuild records the request it started from in
    // "built". Callers wait for a rebuild while the two differ, so none is handed rules older than
    // the last change it could know of (nor the empty set before the first build).
    private long requested = 1;
    private long built;
    private long notifications;

    public TimeZoneInfo DefaultZone { get; } = options.Value.ResolveDefaultZone();

    /// <summary>The compiled rules, rebuilt first when a change was announced.</summary>
    public async Task<CompiledRules> GetAsync(CancellationToken cancellationToken)
    {
        if (IsStale)
        {
            await RebuildAsync(cancellationToken);
        }

        return current;
    }

    private bool IsStale => Interlocked.Read(ref requested) != Interlocked.Read(ref built);

    public void MarkStale() => Interlocked.Increment(ref requested);

    /// <summary>True while this instance listens for other instances' rule changes.</summary>
    public bool Listening { get; internal set; }

    /// <summary>How many change notifications arrived from PostgreSQL (any instance's changes, this one's included).</summary>
    public long NotificationsReceived => Interlocked.Read(ref notifications);

    internal void OnNotification()
    {
        Interlocked.Increment(ref notifications);
        MarkStale();
    }

    /// <summary>The safety net under NOTIFY: compares versions and marks the rules stale when they differ.</summary>
    public async Task CheckVersionAsync(CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var version = await db.RuleSetVersions.AsNoTracking().Where(v => v.Id == 1).Select(v => v.Version).SingleAsync(cancellationToken);
        if (version != current.Version)
        {
            MarkStale();
        }
    }

    private async Task RebuildAsync(CancellationToken cancellationToken)
    {
        await rebuilding.WaitAsync(cancellationToken);
        try
        {
            // Another caller may have rebuilt while this one waited.
            var target = Interlocked.Read(ref requested);
            if (target == Interlocked.Read(ref built))
            {
                return;
            }

            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            // One snapshot, so the version belongs to exactly these rules.
            await using var transaction = await db.Database.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
            var version = await db.RuleSetVersions.AsNoTracking().Where(v => v.Id == 1).Select(v => v.Version).SingleAsync(cancellationToken);
            var rules = await db.Rules.AsNoTracking().Where(r => r.Enabled).ToListAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);

            current = CompiledRules.Compile(rules, DefaultZone, version);
            // A change announced during the build moved "requested" past target: the next caller rebuilds again.
            Interlocked.Exchange(ref built, target);
            logger.LogInformation("Compiled {Count} enabled rules (rule set version {Version})", current.Count, version);
        }
        finally
        {
            rebuilding.Release();
        }
    }

    public void Dispose() => rebuilding.Dispose();
}
