using Microsoft.AspNetCore.Components;

namespace ImapEvents.Web.Shared;

/// <summary>
/// A component whose database and network calls stop when it goes away (the dialog closes, the
/// person navigates on, the circuit ends): pass <see cref="Closing"/> to them.
/// </summary>
public abstract class CancellableComponentBase : ComponentBase, IDisposable
{
    private readonly CancellationTokenSource closing = new();

    protected CancellationToken Closing => closing.Token;

    public void Dispose()
    {
        closing.Cancel();
        closing.Dispose();
        GC.SuppressFinalize(this);
    }
}
