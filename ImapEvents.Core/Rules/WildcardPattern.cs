namespace ImapEvents.Core.Rules;

/// <summary>
/// A case-insensitive pattern where <c>*</c> stands for any run of characters. Split once when the
/// rule is compiled, so matching allocates nothing.
/// </summary>
public sealed class WildcardPattern
{
    private readonly string[] parts;
    private readonly bool anchoredStart;
    private readonly bool anchoredEnd;

    private WildcardPattern(string text)
    {
        Text = text;
        IsAny = text.Length == 0 || text.All(c => c == '*');
        IsExact = !text.Contains('*', StringComparison.Ordinal);
        anchoredStart = !text.StartsWith('*');
        anchoredEnd = !text.EndsWith('*');
        parts = text.Split('*', StringSplitOptions.RemoveEmptyEntries);
    }

    public static readonly WildcardPattern Any = new("");

    public string Text { get; }

    public bool IsAny { get; }

    /// <summary>No wildcard: the pattern is one value, usable as an index key.</summary>
    public bool IsExact { get; }

    public static WildcardPattern Parse(string? text) =>
        string.IsNullOrWhiteSpace(text) ? Any : new WildcardPattern(text.Trim());

    public bool IsMatch(ReadOnlySpan<char> value)
    {
        if (IsAny)
        {
            return true;
        }

        if (IsExact)
        {
            return value.Equals(Text, StringComparison.OrdinalIgnoreCase);
        }

        var rest = value;
        for (var i = 0; i < parts.Length; i++)
        {
            var part = parts[i].AsSpan();
            if (i == 0 && anchoredStart)
            {
                if (!rest.StartsWith(part, StringComparison.OrdinalIgnoreCase))
                {
                    return false;
                }

                rest = rest[part.Length..];
                continue;
            }

            if (i == parts.Length - 1 && anchoredEnd)
            {
                return rest.EndsWith(part, StringComparison.OrdinalIgnoreCase);
            }

            var at = rest.IndexOf(part, StringComparison.OrdinalIgnoreCase);
            if (at < 0)
            {
                return false;
            }

            rest = rest[(at + part.Length)..];
        }

        return true;
    }

    public override string ToString() => Text;
}
