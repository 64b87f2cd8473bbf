using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace ImapEvents.Infrastructure.Settings;

/// <summary>A settings section that can tell which of its values the app cannot run with.</summary>
public interface ICheckedSettings
{
    /// <summary>Why these settings cannot run, one sentence per setting in the words of its environment variable; empty when they can.</summary>
    IReadOnlyList<string> Problems();
}

/// <summary>The sentences for a setting out of its range, all alike.</summary>
public static class SettingRange
{
    public static string? Check(string name, int value, int min, int max) =>
        value < min || value > max ? $"{name} must be between {min} and {max}." : null;

    public static string? Check(string name, TimeSpan value, TimeSpan min, TimeSpan max) =>
        value < min || value > max ? $"{name} must be between {Text(min)} and {Text(max)}." : null;

    /// <summary>As the setting is written (00:00:30), with no run of zeros after a fraction of a second (00:00:00.5).</summary>
    public static string Text(TimeSpan value) =>
        value.Ticks % TimeSpan.TicksPerSecond == 0 ? value.ToString("c") : value.ToString("c").TrimEnd('0');

    /// <summary>The problems found, leaving out the checks that passed (null).</summary>
    public static IReadOnlyList<string> All(params string?[] problems) => problems.OfType<string>().ToArray();
}

public static class CheckedSettingsRegistration
{
    /// <summary>
    /// Binds <typeparamref name="T"/> to its section and reads it at start: a value not of its kind or out of its range
    /// stops the app with one sentence then, instead of failing the first request or job that needs it.
    /// </summary>
    public static OptionsBuilder<T> AddCheckedSettings<T>(this IServiceCollection services, IConfiguration configuration, string sectionName)
        where T : class, ICheckedSettings, new() =>
        Register<T>(services, sectionName).Bind(configuration.GetSection(sectionName));

    /// <summary>The same, bound to the host's own configuration.</summary>
    public static OptionsBuilder<T> AddCheckedSettings<T>(this IServiceCollection services, string sectionName)
        where T : class, ICheckedSettings, new() =>
        Register<T>(services, sectionName).BindConfiguration(sectionName);

    /// <summary>
    /// Reads a section at once, for what is decided while services are registered (Hangfire's storage and workers).
    /// Settings it cannot use give way to the defaults here: the start refuses them anyway, naming every wrong one
    /// (<see cref="CheckedSettingsCatalog"/>), and Hangfire must not throw first about one of them.
    /// </summary>
    public static T ReadCheckedSettings<T>(this IConfiguration configuration, string sectionName)
        where T : class, ICheckedSettings, new() =>
        CheckedSettingsCatalog.Problem<T>(configuration, sectionName) is [] ? configuration.GetSection(sectionName).Get<T>() ?? new T() : new T();

    private static OptionsBuilder<T> Register<T>(IServiceCollection services, string sectionName)
        where T : class, ICheckedSettings, new()
    {
        CheckedSettingsCatalog.Of(services).Add<T>(sectionName);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<T>, CheckedSettingsValidation<T>>());
        return services.AddOptions<T>().ValidateOnStart();
    }

    private sealed class CheckedSettingsValidation<T> : IValidateOptions<T>
        where T : class, ICheckedSettings
    {
        public ValidateOptionsResult Validate(string? name, T options) =>
            options.Problems() is { Count: > 0 } problems ? ValidateOptionsResult.Fail(problems) : ValidateOptionsResult.Success;
    }
}

/// <summary>
/// Every section registered with <c>AddCheckedSettings</c>, read together before the app is built, so that an operator
/// who set several wrong hears of all of them at once rather than one per attempt to start.
/// </summary>
public sealed class CheckedSettingsCatalog
{
    private readonly List<Func<IConfiguration, IReadOnlyList<string>>> sections = [];

    /// <summary>The catalog of these services, made on first use.</summary>
    public static CheckedSettingsCatalog Of(IServiceCollection services)
    {
        if (services.FirstOrDefault(d => d.ServiceType == typeof(CheckedSettingsCatalog))?.ImplementationInstance is CheckedSettingsCatalog catalog)
        {
            return catalog;
        }

        catalog = new CheckedSettingsCatalog();
        services.AddSingleton(catalog);
        return catalog;
    }

    /// <summary>Every setting of every registered section the app cannot run with, one sentence each.</summary>
    public IReadOnlyList<string> Problems(IConfiguration configuration) =>
        sections.SelectMany(problems => problems(configuration)).Distinct(StringComparer.Ordinal).ToList();

    internal void Add<T>(string sectionName)
        where T : class, ICheckedSettings, new() =>
        sections.Add(configuration => Problem<T>(configuration, sectionName));

    internal static IReadOnlyList<string> Problem<T>(IConfiguration configuration, string sectionName)
        where T : class, ICheckedSettings, new()
    {
        // Setting by setting, so that one not of its kind ("abc") hides neither the others of its section nor their ranges.
        var section = configuration.GetSection(sectionName);
        var settings = new T();
        var unreadable = new List<string>();
        foreach (var property in typeof(T).GetProperties().Where(p => p.SetMethod is { IsPublic: true }))
        {
            var value = section.GetSection(property.Name);
            if (!value.Exists())
            {
                continue;
            }

            try
            {
                if (value.Get(property.PropertyType) is { } read)
                {
                    property.SetValue(settings, read);
                }
            }
            catch (InvalidOperationException error) when (SettingText.Unreadable(error) is { } sentence)
            {
                unreadable.Add(sentence);
            }
        }

        return [.. unreadable, .. settings.Problems()];
    }
}
