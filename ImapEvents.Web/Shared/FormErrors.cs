using ImapEvents.Infrastructure.Identity;
using MudBlazor;

namespace ImapEvents.Web.Shared;

/// <summary>
/// The one validation mechanism of every form. Messages are keyed by field (<c>ServerPort</c>,
/// <c>Action 2: URL</c>) and come from the form's own rules (Core's validators, run on the model as it
/// is now) and from the server's answer to Save (kept until that field changes).
/// </summary>
/// <remarks>
/// Inputs show their message through their <c>Validation</c> function (<see cref="For{T}"/>), never
/// through <c>Error</c>/<c>ErrorText</c> parameters: MudBlazor overwrites those when it validates, and
/// Blazor does not pass a parameter again while its value is unchanged, so a second wrong value used
/// to clear the message for good and Save then did nothing. Here the input asks on every change, and
/// Save asks every input again (<see cref="CheckAsync"/>).
/// </remarks>
public sealed class FormErrors(Func<IReadOnlyDictionary<string, string>> rules)
{
    private readonly Dictionary<string, ServerMessage> fromServer = new(StringComparer.Ordinal);
    private readonly HashSet<string> fields = new(StringComparer.Ordinal);
    private MudForm? form;

    /// <summary>Save was pressed once: from now on every invalid field shows its message.</summary>
    public bool Checked { get; private set; }

    /// <summary>Messages that belong to no input (the record was changed by someone else, a list left empty).</summary>
    public IReadOnlyList<string> General =>
    [
        .. fromServer.Where(e => !fields.Contains(e.Key)).Select(e => e.Value.Message),
        .. Checked ? rules().Where(e => !fields.Contains(e.Key) && !fromServer.ContainsKey(e.Key)).Select(e => e.Value) : [],
    ];

    /// <summary>Why Save did nothing, for the place next to the buttons; null while nothing is wrong or before Save.</summary>
    public string? Summary
    {
        get
        {
            if (!Checked)
            {
                return null;
            }

            var count = rules().Keys.Union(fromServer.Keys).Count();
            return count switch
            {
                0 => null,
                1 => "1 problem to correct before saving (marked in red).",
                _ => $"{count} problems to correct before saving (marked in red).",
            };
        }
    }

    /// <summary>The form whose inputs Save checks again; <see cref="FormDialog"/> attaches its own.</summary>
    public void Attach(MudForm attached) => form = attached;

    /// <summary>The <c>Validation</c> function of the input for <paramref name="field"/>.</summary>
    public Func<T?, string?> For<T>(string field)
    {
        fields.Add(field);
        return value => MessageFor(field, value);
    }

    /// <summary>The message for a field that is not an input (a list, a group of checkboxes), shown by the form itself.</summary>
    public string? Message(string field)
    {
        fields.Add(field);
        if (fromServer.TryGetValue(field, out var server))
        {
            return server.Message;
        }

        return Checked ? rules().GetValueOrDefault(field) : null;
    }

    /// <summary>Save pressed: checks every input and says whether the form may be sent.</summary>
    public async Task<bool> CheckAsync()
    {
        Checked = true;
        fromServer.Clear();
        await RecheckAsync();
        return rules().Count == 0;
    }

    /// <summary>Shows the server's answer to Save; each message stays until its field is changed.</summary>
    public async Task ShowAsync(IEnumerable<KeyValuePair<string, string>> errors)
    {
        Checked = true;
        foreach (var (field, message) in errors)
        {
            fromServer[field] = fromServer.TryGetValue(field, out var existing)
                ? existing with { Message = $"{existing.Message} {message}" }
                : new ServerMessage(message, HasValue: false, Value: null);
        }

        await RecheckAsync();
    }

    public Task ShowAsync(OperationResult result) =>
        ShowAsync(result.Errors.Select(e => KeyValuePair.Create(e.Field ?? "", e.Message)));

    /// <summary>Something outside an input changed (an action added, moved or removed): every input asks again.</summary>
    public async Task RecheckAsync()
    {
        if (form is not null && Checked)
        {
            await form.ValidateAsync();
        }
    }

    private string? MessageFor<T>(string field, T? value)
    {
        if (fromServer.TryGetValue(field, out var server))
        {
            if (!server.HasValue)
            {
                // The first time the input asks after the answer is when Save re-checks it: remember its value then.
                fromServer[field] = server with { HasValue = true, Value = value };
                return server.Message;
            }

            if (Equals(server.Value, value))
            {
                return server.Message;
            }

            fromServer.Remove(field);
        }

        return rules().GetValueOrDefault(field);
    }

    private sealed record ServerMessage(string Message, bool HasValue, object? Value);
}
