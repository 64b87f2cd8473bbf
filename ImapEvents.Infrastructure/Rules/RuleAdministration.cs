using System.Text.Json;
using ImapEvents.Core.Actions;
using ImapEvents.Core.Events;
using ImapEvents.Core.Incidents;
using ImapEvents.Core.Rules;
using ImapEvents.Infrastructure.Actions;
using ImapEvents.Infrastructure.Identity;
using ImapEvents.Infrastructure.Incidents;
using ImapEvents.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;

namespace ImapEvents.Infrastructure.Rules;

public sealed record RuleSaveResult(Guid? Id, IReadOnlyDictionary<string, string> Errors)
{
    public bool Succeeded => Errors.Count == 0;

    /// <summary>The rule's version after a change, for an editor that stays open to save it again.</summary>
    public uint? Version { get; init; }

    public static RuleSaveResult Failed(string message) => new(null, new Dictionary<string, string> { [""] = message });
}

/// <summary>Who owns a rule, and whether Use My Notification Profile still reaches them (an enabled administrator).</summary>
public sealed record RuleOwner(string Email, bool IsEnabledAdministrator);

/// <summary>What an import does with a rule of the file whose name a rule here already has (compared without regard to case).</summary>
public enum ExistingRules
{
    /// <summary>Leave the rule here as it is: importing a file twice never doubles a rule.</summary>
    KeepExisting = 0,

    /// <summary>Update the rule here in place (same id, a new version, audited) to what the file says.</summary>
    ReplaceExisting = 1,
}

/// <param name="Added">Names of the rules the import created.</param>
/// <param name="Replaced">Names of the rules it updated in place.</param>
/// <param name="Skipped">Names of the rules it left alone because a rule with that name exists.</param>
/// <param name="Errors">Why nothing was imported; empty when the import went through.</param>
/// <param name="Notices">What the administrator should do next, such as sharing new webhook secrets.</param>
public sealed record RuleImportResult(
    IReadOnlyList<string> Added, IReadOnlyList<string> Replaced, IReadOnlyList<string> Skipped, IReadOnlyList<string> Errors, IReadOnlyList<string> Notices)
{
    public bool Succeeded => Errors.Count == 0;

    public int Imported => Added.Count + Replaced.Count;

    /// <summary>The counts in one line, as the Rules page reports them.</summary>
    public string Summary =>
        $"{Added.Count} added, {Replaced.Count} replaced, {Skipped.Count} skipped{(Skipped.Count > 0 ? " (a rule with the same name exists)" : "")}.";

    public static RuleImportResult Failed(IReadOnlyList<string> errors) => new([], [], [], errors, []);
}

/// <summary>
/// What the Rules pages do. Every change writes an audit entry with the rule before and after,
/// bumps the rule-set version and notifies the other instances, all in one transaction.
/// </summary>
public sealed class RuleAdministration(
    IDbContextFactory<AppDbContext> dbFactory, RuleSet ruleSet, WebhookSecrets secrets, ActionUrls urls, IOptions<IncidentSettings> incidents, TimeProvider time)
{
    public const string ConcurrencyConflict =
        "Someone else changed this rule while you were editing. Close the editor and open the rule again to see their changes.";

    private static readonly IReadOnlyDictionary<string, string> NoErrors = new Dictionary<string, string>();

    /// <summary>How far back "would have fired" looks.</summary>
    public static readonly TimeSpan WouldHaveFiredWindow = TimeSpan.FromDays(7);

    public async Task<IReadOnlyList<EventRule>> ListAsync(string? search, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var rules = db.Rules.AsNoTracking();
        if (!string.IsNullOrWhiteSpace(search))
        {
            var pattern = LikePattern.Containing(search);
            rules = rules.Where(r => EF.Functions.ILike(r.Name, pattern)
                || (r.ServerName != null && EF.Functions.ILike(r.ServerName, pattern))
                || (r.LoginUsername != null && EF.Functions.ILike(r.LoginUsername, pattern)));
        }

        return await rules.OrderBy(r => r.Name).ThenBy(r => r.Id).ToListAsync(cancellationToken);
    }

    /// <summary>
    /// Each user who owns a rule, by id: Use My Notification Profile reaches the owner while they are an
    /// enabled administrator. A rule whose owner is missing here, or is not one, needs a new owner.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, RuleOwner>> OwnersAsync(CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Users.AsNoTracking()
            .Where(u => db.Rules.Any(r => r.OwnerId == u.Id))
            .Select(u => new { u.Id, u.Email, IsEnabledAdministrator = EnabledAdministrators.Ids(db).Contains(u.Id) })
            .ToDictionaryAsync(u => u.Id, u => new RuleOwner(u.Email ?? u.Id, u.IsEnabledAdministrator), cancellationToken);
    }

    /// <summary>Makes the acting administrator the rule's owner, for a rule whose owner was demoted, disabled or deleted.</summary>
    /// <param name="version">The version an open editor holds, or null from the list.</param>
    public Task<RuleSaveResult> TakeOwnershipAsync(string actingUserId, Guid id, uint? version, CancellationToken cancellationToken) =>
        ChangeAsync(actingUserId, id, version, RuleChange.OwnershipTaken, rule =>
        {
            rule.OwnerId = actingUserId;
            return NoErrors;
        }, cancellationToken);

    public async Task<EventRule?> GetAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Rules.AsNoTracking().SingleOrDefaultAsync(r => r.Id == id, cancellationToken);
    }

    public async Task<RuleSaveResult> CreateAsync(string actingUserId, EventRule draft, CancellationToken cancellationToken)
    {
        var errors = await ValidateAsync(draft, cancellationToken);
        if (errors.Count > 0)
        {
            return new RuleSaveResult(null, errors);
        }

        var now = time.GetUtcNow();
        var rule = Copy(draft);
        rule.Id = Guid.NewGuid();
        rule.OwnerId = actingUserId;
        rule.CreatedAt = now;
        rule.UpdatedAt = now;
        ProtectSecrets(rule.Actions);
        ProtectSecrets(rule.EscalationActions);
        if (KeyErrors(rule) is { Count: > 0 } keyErrors)
        {
            return new RuleSaveResult(null, keyErrors);
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        db.Rules.Add(rule);
        Audit(db, await AuditorAsync(db, actingUserId, cancellationToken), rule.Id, rule.Name, RuleChange.Created, null, rule);
        await db.SaveChangesAsync(cancellationToken);
        await CommitAndAnnounceAsync(db, transaction, cancellationToken);
        return new RuleSaveResult(rule.Id, errors);
    }

    public async Task<RuleSaveResult> UpdateAsync(string actingUserId, Guid id, EventRule draft, uint version, CancellationToken cancellationToken)
    {
        var errors = await ValidateAsync(draft, cancellationToken);
        if (errors.Count > 0)
        {
            return new RuleSaveResult(null, errors);
        }

        return await ChangeAsync(actingUserId, id, version, RuleChange.Updated, rule =>
        {
            CopyConditions(draft, rule);
            rule.Actions = MergeActions(rule.Actions, draft.Actions);
            rule.EscalationActions = MergeActions(rule.EscalationActions, draft.EscalationActions);
            return KeyErrors(rule);
        }, cancellationToken);
    }

    public Task<RuleSaveResult> SetEnabledAsync(string actingUserId, Guid id, bool enabled, CancellationToken cancellationToken) =>
        ChangeAsync(actingUserId, id, null, enabled ? RuleChange.Enabled : RuleChange.Disabled, rule =>
        {
            rule.Enabled = enabled;
            return NoErrors;
        }, cancellationToken);

    /// <param name="until">Null ends a snooze.</param>
    public Task<RuleSaveResult> SnoozeAsync(string actingUserId, Guid id, DateTimeOffset? until, CancellationToken cancellationToken)
    {
        if (until is { } end && end <= time.GetUtcNow())
        {
            return Task.FromResult(new RuleSaveResult(null, new Dictionary<string, string> { ["Snooze until"] = "Choose a time in the future." }));
        }

        return ChangeAsync(actingUserId, id, null, until is null ? RuleChange.Unsnoozed : RuleChange.Snoozed, rule =>
        {
            rule.SnoozedUntil = until?.ToUniversalTime();
            return NoErrors;
        }, cancellationToken);
    }

    /// <summary>Who the audit trail names when ImapEvents itself changes a rule (a receiver's 410 disabled an action).</summary>
    public const string SystemActor = "ImapEvents";

    /// <summary>
    /// Stops a rule's action from firing, because of what its receiver answered; audited as done by
    /// <see cref="SystemActor"/>. Only the action as it was fired: one whose target was changed since (an
    /// administrator fixed the address), or that is gone or disabled already, is left alone.
    /// </summary>
    /// <param name="fired">The action as the delivery copied it at the firing.</param>
    /// <returns>True when the action was disabled now.</returns>
    public async Task<bool> DisableActionAsync(Guid ruleId, RuleAction fired, string reason, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var rule = await db.Rules.SingleOrDefaultAsync(r => r.Id == ruleId, cancellationToken);
        if (rule is null)
        {
            return false;
        }

        // An escalation action's deliveries copy it like a main action's: a 410 disables it in its own list.
        var list = ActionList.Main;
        var index = FiredIndex(rule.Actions, fired);
        if (index < 0)
        {
            list = ActionList.Escalation;
            index = FiredIndex(rule.EscalationActions, fired);
        }

        var inList = list == ActionList.Main ? rule.Actions : rule.EscalationActions;
        if (index < 0 || inList[index].DisabledAt is not null)
        {
            return false;
        }

        var before = Copy(rule);
        var actions = inList.Select(a => a.Copy()).ToList();
        actions[index].DisabledAt = time.GetUtcNow();
        actions[index].DisabledReason = reason;
        switch (list)
        {
            case ActionList.Main:
                rule.Actions = actions;
                break;
            case ActionList.Escalation:
                rule.EscalationActions = actions;
                break;
        }

        rule.UpdatedAt = time.GetUtcNow();
        Audit(db, await AuditorAsync(db, SystemActor, cancellationToken), rule.Id, rule.Name, RuleChange.ActionDisabled, before, rule);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateConcurrencyException)
        {
            // Someone saved the rule at this moment; the action's next 410 disables it.
            return false;
        }

        await CommitAndAnnounceAsync(db, transaction, cancellationToken);
        return true;
    }

    /// <summary>The place of the action as it was fired; a key in the URL is masked in Target, so a changed key shows only in the protected whole URL.</summary>
    private static int FiredIndex(List<RuleAction> actions, RuleAction fired) =>
        actions.FindIndex(a => a.Id == fired.Id && a.Kind == fired.Kind
            && string.Equals(Target(a), Target(fired), StringComparison.Ordinal)
            && string.Equals(a.ProtectedUrl, fired.ProtectedUrl, StringComparison.Ordinal));

    public async Task<RuleSaveResult> DuplicateAsync(string actingUserId, Guid id, CancellationToken cancellationToken)
    {
        var original = await GetAsync(id, cancellationToken);
        if (original is null)
        {
            return RuleSaveResult.Failed("This rule was deleted by someone else.");
        }

        var copy = Copy(original);
        copy.Name = original.Name.Length > 190 ? original.Name[..190] + " (copy)" : original.Name + " (copy)";
        copy.Enabled = false;
        copy.SnoozedUntil = null;
        // New action ids: the copy has max-frequency windows of its own. Secrets carry over.
        foreach (var action in copy.Actions.Concat(copy.EscalationActions))
        {
            action.Id = Guid.NewGuid();
        }

        return await CreateAsync(actingUserId, copy, cancellationToken);
    }

    public async Task<bool> DeleteAsync(string actingUserId, Guid id, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var rule = await db.Rules.SingleOrDefaultAsync(r => r.Id == id, cancellationToken);
        if (rule is null)
        {
            return false;
        }

        db.Rules.Remove(rule);
        Audit(db, await AuditorAsync(db, actingUserId, cancellationToken), rule.Id, rule.Name, RuleChange.Deleted, rule, null);
        await db.SaveChangesAsync(cancellationToken);
        await CommitAndAnnounceAsync(db, transaction, cancellationToken);
        return true;
    }

    /// <summary>
    /// What the rule as edited would have done about the stored events of the last 7 days (Enabled and snooze aside):
    /// the events its conditions match, and how often it would have notified with its incident options applied.
    /// </summary>
    public async Task<WouldHaveFired> WouldHaveFiredAsync(EventRule draft, CancellationToken cancellationToken)
    {
        var zone = CompiledRules.ResolveZone(draft.TimeZoneId, ruleSet.DefaultZone);
        var now = time.GetUtcNow();
        var since = now - WouldHaveFiredWindow;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var candidates = db.Events.AsNoTracking().Where(e => e.Type == draft.EventType && e.OccurredAt >= since && !e.IsTest);
        if (draft.ServerPort is { } port)
        {
            candidates = candidates.Where(e => e.ServerPort == port);
        }

        if (draft.Ssl != SslCondition.Any)
        {
            var ssl = draft.Ssl == SslCondition.True;
            candidates = candidates.Where(e => e.Ssl == ssl);
        }

        // In time order: "once per incident" and grouping depend on what the rule would have sent before.
        var options = IncidentOptions.Of(draft);
        var replay = new NotificationReplay(options, incidents.Value.GroupingWindow);
        await foreach (var imapEvent in candidates.OrderBy(e => e.OccurredAt).ThenBy(e => e.Id).AsAsyncEnumerable().WithCancellation(cancellationToken))
        {
            if (RuleConditions.Hold(draft, imapEvent, zone))
            {
                replay.Add(imapEvent);
            }
        }

        if (replay.NotifiedIncidents.Count > 0 && (options.NotifyOnRecovery || options.EscalateAfterMinutes is not null))
        {
            var notified = replay.NotifiedIncidents.ToList();
            if (options.NotifyOnRecovery)
            {
                var recoveries = db.Events.AsNoTracking()
                    .Where(e => e.Type == ImapEventType.Recovered && !e.IsTest && e.IncidentId != null && notified.Contains(e.IncidentId.Value));
                await foreach (var recovery in recoveries.AsAsyncEnumerable().WithCancellation(cancellationToken))
                {
                    replay.AddRecovery(recovery);
                }
            }

            if (options.EscalateAfterMinutes is not null)
            {
                var ends = await db.Incidents.AsNoTracking().Where(i => notified.Contains(i.Id)).Select(i => new { i.Id, i.ClosedAt }).ToListAsync(cancellationToken);
                foreach (var end in ends)
                {
                    replay.AddIncidentEnd(end.Id, end.ClosedAt, now);
                }
            }
        }

        return replay.Result;
    }

    public async Task<IReadOnlyList<RuleAuditEntry>> AuditTrailAsync(Guid ruleId, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.RuleAudit.AsNoTracking().Where(a => a.RuleId == ruleId).OrderByDescending(a => a.At).ToListAsync(cancellationToken);
    }

    public async Task<string> ExportAsync(CancellationToken cancellationToken)
    {
        var rules = await ListAsync(null, cancellationToken);
        var names = await ProviderNamesAsync(cancellationToken);
        var export = new RuleExport { ExportedAt = time.GetUtcNow(), Rules = rules.Select(r => RuleDocument.From(r, names)).ToList() };
        return JsonSerializer.Serialize(export, RuleDocument.Json);
    }

    /// <summary>
    /// Imports the rules of an export file: all of them, or none when any is invalid. A rule whose name
    /// a rule here already has (compared without regard to case) is skipped or replaced, as chosen.
    /// </summary>
    public async Task<RuleImportResult> ImportAsync(string actingUserId, string json, ExistingRules existing, CancellationToken cancellationToken)
    {
        var (imported, errors) = await ReadImportAsync(json, cancellationToken);
        if (errors.Count > 0)
        {
            return RuleImportResult.Failed(errors);
        }

        var now = time.GetUtcNow();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.LockRuleImportAsync(cancellationToken);
        // Compared here rather than in SQL: lower() in PostgreSQL follows the database's locale, not .NET's.
        var here = (await db.Rules.AsNoTracking().Select(r => new { r.Id, r.Name }).ToListAsync(cancellationToken))
            .ToLookup(r => r.Name.Trim(), r => r.Id, StringComparer.OrdinalIgnoreCase);
        if (existing == ExistingRules.ReplaceExisting)
        {
            errors.AddRange(imported.Where(r => here[r.Rule.Name].Count() > 1).Select(r =>
                $"{r.Label}: {RuleValidation.Name}: {here[r.Rule.Name].Count()} rules here have this name, so Replace cannot tell which one to change. " +
                "Rename one of them here, then import again."));
            if (errors.Count > 0)
            {
                return RuleImportResult.Failed(errors);
            }
        }

        var replaceIds = existing == ExistingRules.ReplaceExisting ? imported.SelectMany(r => here[r.Rule.Name]).ToList() : [];
        var stored = await db.Rules.Where(r => replaceIds.Contains(r.Id)).ToDictionaryAsync(r => r.Id, cancellationToken);
        var auditor = await AuditorAsync(db, actingUserId, cancellationToken);
        List<string> added = [], replaced = [], skipped = [], newSecrets = [], urlsWithoutKey = [];
        var keptSecrets = 0;

        List<string> Replace(EventRule rule)
        {
            var target = stored[here[rule.Name].Single()];
            var before = Copy(target);
            // Each list matches its own stored actions: an escalation webhook keeps its secret like a main one.
            var actions = MatchStoredActions(target.Actions, rule.Actions);
            var escalationActions = MatchStoredActions(target.EscalationActions, rule.EscalationActions);
            foreach (var (list, listed) in new[] { (ActionList.Main, actions), (ActionList.Escalation, escalationActions) })
            {
                keptSecrets += listed.Count(a => a.Kind == ActionKind.CallWebhook && a.NewSecret is null && a.ProtectedSecret is not null);
                newSecrets.AddRange(NewSecretsOf(rule.Name, listed, list));
                ProtectSecrets(listed);
                urlsWithoutKey.AddRange(UrlsWithoutKeyOf(rule.Name, listed, list));
            }

            // Same id, owner and creation time: Use My Notification Profile still reaches the same owner.
            CopyConditions(rule, target);
            target.SnoozedUntil = rule.SnoozedUntil;
            target.Actions = actions;
            target.EscalationActions = escalationActions;
            target.UpdatedAt = now;
            Audit(db, auditor, target.Id, target.Name, RuleChange.ReplacedByImport, before, target);
            return replaced;
        }

        foreach (var (_, _, rule) in imported)
        {
            if (here[rule.Name].Any())
            {
                var outcome = existing switch
                {
                    ExistingRules.KeepExisting => skipped,
                    ExistingRules.ReplaceExisting => Replace(rule),
                };
                outcome.Add(rule.Name);
                continue;
            }

            foreach (var (list, listed) in new[] { (ActionList.Main, rule.Actions), (ActionList.Escalation, rule.EscalationActions) })
            {
                newSecrets.AddRange(NewSecretsOf(rule.Name, listed, list));
                ProtectSecrets(listed);
                urlsWithoutKey.AddRange(UrlsWithoutKeyOf(rule.Name, listed, list));
            }

            rule.Id = Guid.NewGuid();
            rule.OwnerId = actingUserId;
            rule.CreatedAt = now;
            rule.UpdatedAt = now;
            db.Rules.Add(rule);
            Audit(db, auditor, rule.Id, rule.Name, RuleChange.Imported, null, rule);
            added.Add(rule.Name);
        }

        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateConcurrencyException)
        {
            return RuleImportResult.Failed(["Someone changed one of these rules while the file was imported. Nothing was imported; import the file again."]);
        }

        await CommitAndAnnounceAsync(db, transaction, cancellationToken);
        return new RuleImportResult(added, replaced, skipped, [], [.. SecretNotices(newSecrets, keptSecrets), .. UrlKeyNotices(urlsWithoutKey)]);
    }

    private sealed record ImportedRule(int Number, string Label, EventRule Rule);

    /// <summary>The file's rules as rules, or why the file cannot be imported: each rule's own checks, and each name once.</summary>
    private async Task<(List<ImportedRule> Rules, List<string> Errors)> ReadImportAsync(string json, CancellationToken cancellationToken)
    {
        var (documents, errors) = RuleExportReader.Read(json);
        var imported = new List<ImportedRule>();
        var providerIds = (await ProviderNamesAsync(cancellationToken)).ToDictionary(p => p.Value, p => p.Key, StringComparer.OrdinalIgnoreCase);
        foreach (var (number, document) in documents)
        {
            var (rule, ruleErrors) = document.ToRule(providerIds);
            var label = RuleExportReader.Label(number, document.Name);
            errors.AddRange(ruleErrors.Select(e => $"{label}: {e.Key}: {e.Value}"));
            if (rule is not null)
            {
                imported.Add(new ImportedRule(number, label, rule));
            }
        }

        // Names are what tells an imported rule from one that is here already, so each may appear once.
        foreach (var sameName in imported.GroupBy(r => r.Rule.Name, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
        {
            var first = sameName.First();
            errors.AddRange(sameName.Skip(1).Select(later =>
                $"{later.Label}: {RuleValidation.Name}: the file names this rule twice (rule {first.Number} is “{first.Rule.Name}”; names are compared without regard to case). " +
                "Keep one of them or rename the other."));
        }

        return (imported, errors);
    }

    /// <summary>"“Rule” (action 2)" for each webhook action that gets a secret nobody has: secrets are not exported.</summary>
    private static List<string> NewSecretsOf(string ruleName, IReadOnlyList<RuleAction> actions, ActionList list) =>
        actions
            .Select((action, index) => (action, index))
            .Where(a => a.action.Kind == ActionKind.CallWebhook && !string.IsNullOrWhiteSpace(a.action.NewSecret))
            .Select(a => $"“{ruleName}” ({list.ActionName(a.index).ToLowerInvariant()})")
            .ToList();

    /// <summary>"“Rule” (escalation action 1)" for each action whose URL had a key that the file left out (masked) and nothing here supplies.</summary>
    private static List<string> UrlsWithoutKeyOf(string ruleName, IReadOnlyList<RuleAction> actions, ActionList list) =>
        actions
            .Select((action, index) => (action, index))
            .Where(a => ActionUrls.LacksItsKey(a.action))
            .Select(a => $"“{ruleName}” ({list.ActionName(a.index).ToLowerInvariant()})")
            .ToList();

    private static List<string> UrlKeyNotices(List<string> urlsWithoutKey) => urlsWithoutKey.Count == 0
        ? []
        :
        [
            $"Keys in URLs are not exported, so {(urlsWithoutKey.Count == 1 ? "this action cannot call its URL" : $"these {urlsWithoutKey.Count} actions cannot call their URLs")} " +
            $"until the key is typed in again: {string.Join(", ", urlsWithoutKey)}. Open each rule and type the whole URL again, with its key.",
        ];

    private static List<string> SecretNotices(List<string> newSecrets, int keptSecrets)
    {
        var notices = new List<string>();
        if (newSecrets.Count > 0)
        {
            notices.Add(
                $"Signing secrets are not exported, so {(newSecrets.Count == 1 ? "this webhook action" : $"these {newSecrets.Count} webhook actions")} got a new secret " +
                $"that no receiver has: {string.Join(", ", newSecrets)}. Open each rule, press Generate secret next to Signing Secret, save, and give the secret to the receiver.");
        }

        if (keptSecrets > 0)
        {
            notices.Add(keptSecrets == 1
                ? "1 webhook action of a replaced rule kept its signing secret (its URL is unchanged); its receiver needs nothing new."
                : $"{keptSecrets} webhook actions of replaced rules kept their signing secrets (their URLs are unchanged); their receivers need nothing new.");
        }

        return notices;
    }

    /// <summary>
    /// The imported actions, each taking the id of a stored action of the same kind and target (and a
    /// webhook its secret, a URL its key when the file has it masked): its max-frequency window carries on,
    /// and a receiver that has the secret keeps verifying. A webhook at a new or changed URL keeps the new
    /// secret it was imported with.
    /// </summary>
    private static List<RuleAction> MatchStoredActions(IReadOnlyList<RuleAction> stored, IReadOnlyList<RuleAction> imported)
    {
        var unmatched = stored.ToList();
        var actions = imported.Select(a => a.Copy()).ToList();
        foreach (var action in actions)
        {
            if (unmatched.FirstOrDefault(s => s.Kind == action.Kind && string.Equals(Target(s), Target(action), StringComparison.Ordinal)) is not { } match)
            {
                continue;
            }

            unmatched.Remove(match);
            action.Id = match.Id;
            action.ProtectedUrl = string.Equals(action.Url, match.Url, StringComparison.Ordinal) ? match.ProtectedUrl : null;
            if (match.ProtectedUrl is null && match.Url is not null && action.Url != match.Url && UrlCredentials.Masked(match.Url) == action.Url)
            {
                // Stored before keys were masked, with the key in clear: the same URL, masked in the file, takes it back.
                action.Url = match.Url;
            }
            if (action.Kind == ActionKind.CallWebhook && match.ProtectedSecret is not null)
            {
                action.ProtectedSecret = match.ProtectedSecret;
                action.NewSecret = null;
            }
        }

        return actions;
    }

    /// <summary>Where an action delivers: what makes two actions of one kind the same action (a URL's keys aside).</summary>
    private static string? Target(RuleAction action) => action.Kind switch
    {
        ActionKind.CallWebPage or ActionKind.CallWebhook => action.Url is null ? null : UrlCredentials.Masked(action.Url),
        ActionKind.LogToFile => action.FileName,
        ActionKind.SendEmail => action.Recipients,
        ActionKind.UseMyNotificationProfile => null,
        ActionKind.NotifyExternalProvider => action.ProviderId?.ToString(),
    };

    /// <param name="apply">Changes the rule; returns why the change cannot be saved, keyed by field (empty when it can).</param>
    private async Task<RuleSaveResult> ChangeAsync(
        string actingUserId, Guid id, uint? version, RuleChange change, Func<EventRule, IReadOnlyDictionary<string, string>> apply, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var rule = await db.Rules.SingleOrDefaultAsync(r => r.Id == id, cancellationToken);
        if (rule is null)
        {
            return RuleSaveResult.Failed("This rule was deleted by someone else.");
        }

        if (version is { } expected)
        {
            db.Entry(rule).Property(r => r.Version).OriginalValue = expected;
        }

        var before = Copy(rule);
        if (apply(rule) is { Count: > 0 } errors)
        {
            return new RuleSaveResult(null, errors);
        }

        rule.UpdatedAt = time.GetUtcNow();
        Audit(db, await AuditorAsync(db, actingUserId, cancellationToken), rule.Id, rule.Name, change, before, rule);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateConcurrencyException)
        {
            return RuleSaveResult.Failed(ConcurrencyConflict);
        }

        await CommitAndAnnounceAsync(db, transaction, cancellationToken);
        return new RuleSaveResult(rule.Id, new Dictionary<string, string>()) { Version = rule.Version };
    }

    /// <summary>Who acts, and the provider names audit documents use; read once per operation, however many rules it audits.</summary>
    private sealed record Auditor(string UserId, string UserEmail, IReadOnlyDictionary<Guid, string> ProviderNames);

    private static async Task<Auditor> AuditorAsync(AppDbContext db, string actingUserId, CancellationToken cancellationToken)
    {
        var email = await db.Users.AsNoTracking().Where(u => u.Id == actingUserId).Select(u => u.Email).SingleOrDefaultAsync(cancellationToken);
        return new Auditor(actingUserId, email ?? actingUserId, await ProviderNamesAsync(db, cancellationToken));
    }

    private void Audit(AppDbContext db, Auditor auditor, Guid ruleId, string ruleName, RuleChange change, EventRule? before, EventRule? after) =>
        db.RuleAudit.Add(new RuleAuditEntry
        {
            Id = Guid.NewGuid(),
            RuleId = ruleId,
            RuleName = ruleName,
            Change = change,
            UserId = auditor.UserId,
            UserEmail = auditor.UserEmail,
            At = time.GetUtcNow(),
            Before = before is null ? null : JsonSerializer.Serialize(RuleDocument.From(before, auditor.ProviderNames), RuleDocument.Json),
            After = after is null ? null : JsonSerializer.Serialize(RuleDocument.From(after, auditor.ProviderNames), RuleDocument.Json),
        });

    /// <summary>Bumps the rule-set version and commits; every instance hears of it (the NOTIFY is delivered on commit).</summary>
    private async Task CommitAndAnnounceAsync(AppDbContext db, IDbContextTransaction transaction, CancellationToken cancellationToken)
    {
        await db.Database.ExecuteSqlAsync($"UPDATE rule_set_version SET \"Version\" = \"Version\" + 1 WHERE \"Id\" = 1", cancellationToken);
        await db.Database.ExecuteSqlAsync($"SELECT pg_notify({RuleChangeListener.ChannelName}, 'changed')", cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        ruleSet.MarkStale();
    }

    /// <summary>The rule's own checks, and that each provider its actions name still exists.</summary>
    private async Task<IReadOnlyDictionary<string, string>> ValidateAsync(EventRule draft, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string>(RuleValidation.Validate(draft), StringComparer.Ordinal);
        if (draft.Actions.Concat(draft.EscalationActions).Any(a => a.ProviderId is not null))
        {
            var known = await ProviderNamesAsync(cancellationToken);
            foreach (var (list, actions) in new[] { (ActionList.Main, draft.Actions), (ActionList.Escalation, draft.EscalationActions) })
            {
                for (var i = 0; i < actions.Count; i++)
                {
                    if (actions[i] is { Kind: ActionKind.NotifyExternalProvider, ProviderId: { } providerId } && !known.ContainsKey(providerId))
                    {
                        errors.TryAdd(ActionValidation.Key(i, ActionValidation.Provider, list), "That provider was deleted; choose another.");
                    }
                }
            }
        }

        return errors;
    }

    private async Task<Dictionary<Guid, string>> ProviderNamesAsync(CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await ProviderNamesAsync(db, cancellationToken);
    }

    private static Task<Dictionary<Guid, string>> ProviderNamesAsync(AppDbContext db, CancellationToken cancellationToken) =>
        db.ExternalProviders.AsNoTracking().ToDictionaryAsync(p => p.Id, p => p.Name, cancellationToken);

    /// <summary>
    /// The edited actions, with each webhook keeping its stored secret unless a new one was typed, and each
    /// URL its stored key while the URL is unchanged: secrets and keys are only ever taken from the stored
    /// action with the same id, never from what the editor sent back.
    /// </summary>
    private List<RuleAction> MergeActions(IReadOnlyList<RuleAction> stored, IReadOnlyList<RuleAction> edited)
    {
        var storedById = stored.ToDictionary(a => a.Id);
        var merged = edited.Select(a =>
        {
            var action = a.Copy();
            var original = storedById.GetValueOrDefault(action.Id);
            action.ProtectedSecret = original?.ProtectedSecret;
            action.ProtectedUrl = original is not null && string.Equals(original.Url, action.Url, StringComparison.Ordinal) ? original.ProtectedUrl : null;
            return action;
        }).ToList();
        ProtectSecrets(merged);
        return merged;
    }

    /// <summary>Turns every secret and URL key typed into these actions into ciphertext, so none is stored in clear.</summary>
    private void ProtectSecrets(IEnumerable<RuleAction> actions)
    {
        secrets.ProtectNewSecrets(actions);
        urls.ProtectKeys(actions);
    }

    /// <summary>Each action of either list whose URL shows a masked key that no stored key goes with (typed over, or moved to another URL).</summary>
    private static Dictionary<string, string> KeyErrors(EventRule rule) =>
        new[] { (List: ActionList.Main, Actions: rule.Actions), (List: ActionList.Escalation, Actions: rule.EscalationActions) }
            .SelectMany(l => l.Actions.Select((action, index) => (l.List, action, index)))
            .Where(a => ActionUrls.LacksItsKey(a.action))
            .ToDictionary(a => ActionValidation.Key(a.index, ActionValidation.Url, a.List), _ => ActionUrls.KeyForAnotherUrl, StringComparer.Ordinal);


    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    /// <summary>Name, Enabled, the conditions and the incident options, as an edit or an import changes them (the actions are merged apart).</summary>
    private static void CopyConditions(EventRule from, EventRule to)
    {
        to.Name = from.Name.Trim();
        to.Enabled = from.Enabled;
        to.EventType = from.EventType;
        to.TimeFrom = from.TimeFrom;
        to.TimeTo = from.TimeTo;
        to.TimeZoneId = Blank(from.TimeZoneId);
        to.DaysOfWeek = from.DaysOfWeek;
        to.ServerName = Blank(from.ServerName);
        to.ServerPort = from.ServerPort;
        to.LoginUsername = Blank(from.LoginUsername);
        to.Ssl = from.Ssl;
        to.FireAfterFailures = from.FireAfterFailures;
        to.Notify = from.Notify;
        to.NotifyOnRecovery = from.NotifyOnRecovery;
        to.GroupByServer = from.GroupByServer;
        to.EscalateAfterMinutes = from.EscalateAfterMinutes;
    }

    private static EventRule Copy(EventRule rule) => new()
    {
        Id = rule.Id,
        Name = rule.Name.Trim(),
        Enabled = rule.Enabled,
        EventType = rule.EventType,
        TimeFrom = rule.TimeFrom,
        TimeTo = rule.TimeTo,
        TimeZoneId = Blank(rule.TimeZoneId),
        DaysOfWeek = rule.DaysOfWeek,
        ServerName = Blank(rule.ServerName),
        ServerPort = rule.ServerPort,
        LoginUsername = Blank(rule.LoginUsername),
        Ssl = rule.Ssl,
        Actions = rule.Actions.Select(a => a.Copy()).ToList(),
        FireAfterFailures = rule.FireAfterFailures,
        Notify = rule.Notify,
        NotifyOnRecovery = rule.NotifyOnRecovery,
        GroupByServer = rule.GroupByServer,
        EscalateAfterMinutes = rule.EscalateAfterMinutes,
        EscalationActions = rule.EscalationActions.Select(a => a.Copy()).ToList(),
        SnoozedUntil = rule.SnoozedUntil,
        OwnerId = rule.OwnerId,
        CreatedAt = rule.CreatedAt,
        UpdatedAt = rule.UpdatedAt,
    };
}
