using Microsoft.AspNetCore.Components;

namespace ImapEvents.Web.Shared;

/// <summary>
/// A component whose database and network calls stop when it goes away (the dialog closes, the
/// person navigates on, the circuit ends): pass <see cref="Closing"/> to them.
/// </summary>
public abstract class CancellableComponentBase : ComponentBase, IDisposable
{
    // Cancelled but never disposed: handlers still running after the component went away may read
    // Closing (and hand it to EF Core or Npgsql), which must see a cancelled token, not an exception.
    private readonly CancellationTokenSource closing = new();

    protected CancellationToken Closing => closing.Token;

    public void Dispose()
    {
        closing.Cancel();
        GC.SuppressFinalize(this);
    }
}
