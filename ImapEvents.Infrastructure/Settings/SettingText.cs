using System.Text.RegularExpressions;

namespace ImapEvents.Infrastructure.Settings;

/// <summary>A setting the configuration binder could not read, in the words an operator set it with.</summary>
public static partial class SettingText
{
    /// <returns>"Checks__Lease is "abc", which is not a time span such as 00:00:30."; null for any other exception.</returns>
    public static string? Unreadable(InvalidOperationException exception)
    {
        var match = BinderMessage().Match(exception.Message);
        if (!match.Success)
        {
            return null;
        }

        var variable = match.Groups["key"].Value.Replace(":", "__", StringComparison.Ordinal);
        var value = match.Groups["value"].Value;
        if (match.Groups["type"].Value is "System.Int32" or "System.Int64" && WholeNumber().IsMatch(value))
        {
            // A whole number all the same, only beyond what any setting here takes.
            return $"{variable} is {value.Trim()}, which is far too {(value.Trim().StartsWith('-') ? "small" : "large")}.";
        }

        var kind = match.Groups["type"].Value switch
        {
            "System.TimeSpan" => "a time span such as 00:00:30",
            "System.Int32" or "System.Int64" => "a whole number",
            "System.Boolean" => "true or false",
            "System.Double" or "System.Decimal" => "a number",
            var other => $"a value of type {other}",
        };
        return $"{variable} is \"{value}\", which is not {kind}.";
    }

    [GeneratedRegex(@"^\s*[+-]?[0-9]+\s*$")]
    private static partial Regex WholeNumber();

    [GeneratedRegex(@"^Failed to convert configuration value '(?<value>.*)' at '(?<key>[^']+)' to type '(?<type>[^']+)'")]
    private static partial Regex BinderMessage();
}
