namespace ImapEvents.Core.Text;

/// <summary>
/// Joining messages into sentences. Exception messages come from many authors (MailKit, the server,
/// .NET): some end with a period, some do not, so appending one blindly gives "Authentication failed..".
/// </summary>
public static class Sentence
{
    /// <summary>The text as a finished sentence: trailing spaces dropped, a period added only when it ends without one (or ! ? …).</summary>
    public static string End(string? text)
    {
        var trimmed = (text ?? "").TrimEnd();
        return trimmed.Length == 0 || trimmed[^1] is '.' or '!' or '?' or '…' ? trimmed : trimmed + ".";
    }
}
