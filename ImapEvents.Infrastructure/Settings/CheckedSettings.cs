using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace ImapEvents.Infrastructure.Settings;

/// <summary>A settings section that can tell which of its values the app cannot run with.</summary>
public interface ICheckedSettings
{
    /// <summary>Why these settings cannot run, in the words of the environment variables that set them; null when they can.</summary>
    string? Invalid();
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

    /// <summary>The first problem, or null when there is none.</summary>
    public static string? First(params string?[] problems) => Array.Find(problems, problem => problem is not null);
}

public static class CheckedSettingsRegistration
{
    /// <summary>
    /// Binds <typeparamref name="T"/> to its section and reads it at start: a value not of its kind or out of its range
    /// stops the app with one sentence then, instead of failing the first request or job that needs it.
    /// </summary>
    public static OptionsBuilder<T> AddCheckedSettings<T>(this IServiceCollection services, IConfiguration configuration, string sectionName)
        where T : class, ICheckedSettings
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<T>, CheckedSettingsValidation<T>>());
        return services.AddOptions<T>().Bind(configuration.GetSection(sectionName)).ValidateOnStart();
    }

    /// <summary>The same, bound to the host's own configuration.</summary>
    public static OptionsBuilder<T> AddCheckedSettings<T>(this IServiceCollection services, string sectionName)
        where T : class, ICheckedSettings
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<T>, CheckedSettingsValidation<T>>());
        return services.AddOptions<T>().BindConfiguration(sectionName).ValidateOnStart();
    }

    /// <summary>
    /// Reads a section at once, for what is decided while services are registered (Hangfire's storage and workers), and
    /// refuses it as the start would: those values reach Hangfire before any validation at start could run.
    /// </summary>
    public static T ReadCheckedSettings<T>(this IConfiguration configuration, string sectionName)
        where T : class, ICheckedSettings, new()
    {
        var settings = configuration.GetSection(sectionName).Get<T>() ?? new T();
        return settings.Invalid() is { } why ? throw new OptionsValidationException(sectionName, typeof(T), [why]) : settings;
    }

    private sealed class CheckedSettingsValidation<T> : IValidateOptions<T>
        where T : class, ICheckedSettings
    {
        public ValidateOptionsResult Validate(string? name, T options) =>
            options.Invalid() is { } why ? ValidateOptionsResult.Fail(why) : ValidateOptionsResult.Success;
    }
}
