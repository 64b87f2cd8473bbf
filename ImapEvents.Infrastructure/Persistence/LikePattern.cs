namespace ImapEvents.Infrastructure.Persistence;

internal static class LikePattern
{
    /// <summary>An ILIKE pattern matching text that contains <paramref name="search"/> literally (%, _ and \ escaped).</summary>
    public static string Containing(string search) =>
        $"%{search.Trim().Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal)}%";
}
