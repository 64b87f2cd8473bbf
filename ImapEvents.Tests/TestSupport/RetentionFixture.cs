using ImapEvents.Infrastructure.Retention;
using Microsoft.Extensions.DependencyInjection;

namespace ImapEvents.Tests.TestSupport;

/// <summary>
/// A <see cref="CheckFixture"/> whose purge takes 3 rows per batch, so that a handful of rows already needs several
/// batches. Retention:Days stays at its default of 90.
/// </summary>
public sealed class RetentionFixture : CheckFixture
{
    public const int BatchSize = 3;

    protected override void ConfigureTestServices(IServiceCollection services) =>
        services.Configure<RetentionOptions>(options => options.BatchSize = BatchSize);
}
