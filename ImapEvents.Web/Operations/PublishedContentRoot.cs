namespace ImapEvents.Web.Operations;

/// <summary>
/// Where the published app finds its styles, scripts and appsettings.json when started from another folder
/// (<c>dotnet /opt/imapevents/ImapEvents.Web.dll</c> from a service unit or a shell elsewhere): beside the dll. ASP.NET
/// Core looks in the working directory, and there the app would serve empty pages without complaint.
/// </summary>
public static class PublishedContentRoot
{
    /// <returns>The app's own folder when it, and not the working directory, holds the published site; otherwise null (the default stands).</returns>
    public static string? Find(string[] args)
    {
        var chosen = args.Any(arg => arg.Contains("contentRoot", StringComparison.OrdinalIgnoreCase))
            || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("ASPNETCORE_CONTENTROOT"))
            || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DOTNET_CONTENTROOT"));
        var beside = AppContext.BaseDirectory;
        return !chosen
            && !Directory.Exists(Path.Combine(Directory.GetCurrentDirectory(), "wwwroot"))
            && Directory.Exists(Path.Combine(beside, "wwwroot"))
            && File.Exists(Path.Combine(beside, "appsettings.json"))
                ? beside
                : null;
    }
}
