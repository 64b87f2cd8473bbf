using ImapEvents.Infrastructure.Activity;
using Microsoft.AspNetCore.Components;

namespace ImapEvents.Web.Shared;

/// <summary>
/// A page that stays current: it follows the <see cref="ActivityFeed"/> from <see cref="ReloadOn"/> until
/// it goes away, and reloads what it shows when something it shows changed, on any instance.
/// </summary>
public abstract class LivePageBase : CancellableComponentBase
{
    [Inject]
    private ActivityFeed Feed { get; set; } = default!;

    /// <summary>Call from OnInitialized: <paramref name="reload"/> runs on this page's dispatcher, at most about once a second.</summary>
    protected void ReloadOn(ActivityKinds kinds, Func<ActivityKinds, Task> reload)
    {
        if (!RendererInfo.IsInteractive)
        {
            // Prerendering: this instance of the page is thrown away once the circuit's one renders.
            return;
        }

        var subscription = Feed.Subscribe(kinds, changed => InvokeAsync(() => reload(changed)));
        Closing.Register(subscription.Dispose);
    }
}
