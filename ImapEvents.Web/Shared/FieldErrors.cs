using ImapEvents.Infrastructure.Identity;

namespace ImapEvents.Web.Shared;

/// <summary>The validation messages of one form, kept per field so each shows next to its input.</summary>
public sealed class FieldErrors
{
    private readonly Dictionary<string, string> byField = new(StringComparer.Ordinal);
    private readonly List<string> general = [];

    public IReadOnlyList<string> General => general;

    public bool Any => byField.Count > 0 || general.Count > 0;

    public bool Has(string field) => byField.ContainsKey(field);

    public string? For(string field) => byField.GetValueOrDefault(field);

    public void Add(string? field, string message)
    {
        if (field is null)
        {
            general.Add(message);
        }
        else if (byField.TryGetValue(field, out var existing))
        {
            byField[field] = $"{existing} {message}";
        }
        else
        {
            byField[field] = message;
        }
    }

    public void Add(OperationResult result)
    {
        foreach (var error in result.Errors)
        {
            Add(error.Field, error.Message);
        }
    }

    public void Clear()
    {
        byField.Clear();
        general.Clear();
    }
}
