using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;

namespace ImapEvents.Tests.TestSupport;

/// <summary>
/// A <see cref="CheckFixture"/> whose clock the tests move: checks, the recorder, mailbox saves and the sweeps all
/// read the time from <see cref="Clock"/>, which stands still until a test advances it. It only ever moves forward,
/// so the tests of one class never see time go back.
/// </summary>
public sealed class ClockedCheckFixture : CheckFixture
{
    /// <summary>Starts today at noon (UTC), near the real time, so that keys and certificates made now are valid in it.</summary>
    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(DateTime.UtcNow.Date.AddHours(12), TimeSpan.Zero));

    protected override void ConfigureTestServices(IServiceCollection services) =>
        services.Replace(ServiceDescriptor.Singleton<TimeProvider>(Clock));
}
