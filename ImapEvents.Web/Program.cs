using ImapEvents.Infrastructure;
using ImapEvents.Infrastructure.KeyRing;
using ImapEvents.Web;
using ImapEvents.Web.Operations;
using Microsoft.Extensions.Options;

var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = PublishedContentRoot.Find(args) });

WebApplication app;
bool workerOnly;
try
{
    // A worker runs the checks and deliveries of a cluster and serves no UI (App__WorkerOnly=true).
    workerOnly = builder.Configuration.GetValue<bool>("App:WorkerOnly");
    builder.Services.AddInfrastructure(builder.Configuration);
    builder.Services.AddOperations(builder.Configuration);
    if (!workerOnly)
    {
        builder.Services.AddWeb();
    }

    app = builder.Build();
    // Settings with rules (Retention:Days) are checked before anything starts, so a wrong one is refused in a sentence.
    app.Services.GetRequiredService<IStartupValidator>().Validate();
    await app.InitializeDatabaseAsync();
}
catch (Exception refusal) when (refusal is KeyRingException or OptionsValidationException)
{
    // A configuration the operator must fix: said in one paragraph, not a stack trace.
    await Console.Error.WriteLineAsync($"ImapEvents did not start: {refusal.Message}");
    return 1;
}
catch (AggregateException refusals) when (refusals.InnerExceptions.All(inner => inner is OptionsValidationException))
{
    // More than one section wrong at once: every sentence, so the operator fixes them in one go.
    foreach (var refusal in refusals.InnerExceptions)
    {
        await Console.Error.WriteLineAsync($"ImapEvents did not start: {refusal.Message}");
    }

    return 1;
}
catch (InvalidOperationException unreadable) when (SettingText.Unreadable(unreadable) is { } sentence)
{
    // A setting that is not even of its kind ("abc" for a time span): the same, in the variable's own name.
    await Console.Error.WriteLineAsync($"ImapEvents did not start: {sentence}");
    return 1;
}

if (workerOnly)
{
    app.UseForwardedHeaders();
    app.MapOperationsEndpoints();
}
else
{
    app.UseWeb();
}

await app.RunAsync();
return 0;

/// <summary>Visible to the tests' WebApplicationFactory.</summary>
public partial class Program;
