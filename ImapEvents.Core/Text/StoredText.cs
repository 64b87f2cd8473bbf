using System.Text;

namespace ImapEvents.Core.Text;

/// <summary>
/// Text that comes from outside (a server's error, a message's headers, a certificate's names) made fit to store and
/// show. A hostile or broken server chooses it: PostgreSQL refuses a NUL character and text that is not valid UTF-8
/// (a lone surrogate), and a column has a length. Refused text would make the whole write fail, again at every check.
/// </summary>
public static class StoredText
{
    private const char Replacement = '\uFFFD';

    /// <summary>
    /// The text with control characters other than tab and line breaks, and lone surrogates, replaced by U+FFFD, and
    /// cut to <paramref name="maxLength"/> characters with "…" at the end when longer.
    /// </summary>
    public static string Clip(string text, int maxLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 2);
        var length = Math.Min(text.Length, maxLength);
        StringBuilder? cleaned = null;
        for (var i = 0; i < length; i++)
        {
            var c = text[i];
            var pair = char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]);
            var bad = (char.IsControl(c) && c is not ('\t' or '\n' or '\r'))
                || (char.IsSurrogate(c) && !pair && !(char.IsLowSurrogate(c) && i > 0 && char.IsHighSurrogate(text[i - 1])));
            if (bad)
            {
                cleaned ??= new StringBuilder(text, 0, i, length);
                cleaned.Append(Replacement);
            }
            else
            {
                cleaned?.Append(c);
            }
        }

        var result = cleaned?.ToString() ?? (length == text.Length ? text : text[..length]);
        if (text.Length <= maxLength)
        {
            return result;
        }

        // One place for the ellipsis, and never half of a surrogate pair before it.
        var cut = maxLength - 1;
        if (char.IsHighSurrogate(result[cut - 1]))
        {
            cut--;
        }

        return string.Concat(result.AsSpan(0, cut), "…");
    }

    /// <inheritdoc cref="Clip(string, int)"/>
    public static string? ClipOrNull(string? text, int maxLength) => text is null ? null : Clip(text, maxLength);
}
