using ImapEvents.Infrastructure;
using ImapEvents.Infrastructure.KeyRing;
using ImapEvents.Infrastructure.Settings;
using ImapEvents.Web;
using ImapEvents.Web.Operations;
using Microsoft.Extensions.Options;

var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = PublishedContentRoot.Find(args) });

WebApplication app;
bool workerOnly;
try
{
    // A worker runs the checks and deliveries of a cluster and serves no UI (App__WorkerOnly=true). Read leniently here:
    // a value not of its kind is refused with the other settings below.
    workerOnly = bool.TryParse(builder.Configuration["App:WorkerOnly"], out var worker) && worker;
    builder.Services.AddInfrastructure(builder.Configuration);
    builder.Services.AddOperations(builder.Configuration);
    if (!workerOnly)
    {
        builder.Services.AddWeb();
    }

    // Every setting the app cannot run with, named together, before anything is built or started.
    if (CheckedSettingsCatalog.Of(builder.Services).Problems(builder.Configuration) is { Count: > 0 } problems)
    {
        return await RefuseAsync(problems);
    }

    app = builder.Build();
    // The same checks as the host knows them (and any a later registration adds), before anything starts.
    app.Services.GetRequiredService<IStartupValidator>().Validate();
    await app.InitializeDatabaseAsync();
}
catch (KeyRingException refusal)
{
    return await RefuseAsync([refusal.Message]);
}
catch (Exception refusal) when (Refusals(refusal) is { Count: > 0 } sentences)
{
    return await RefuseAsync(sentences);
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

static IEnumerable<Exception> Causes(Exception exception)
{
    for (Exception? cause = exception; cause is not null; cause = cause.InnerException)
    {
        yield return cause;
    }
}

// A configuration the operator must fix: said in sentences, one per setting, not a stack trace.
static async Task<int> RefuseAsync(IEnumerable<string> sentences)
{
    foreach (var sentence in sentences)
    {
        await Console.Error.WriteLineAsync($"ImapEvents did not start: {sentence}");
    }

    return 1;
}

// Settings refused by the options validation (one sentence per setting) or not even of their kind ("abc" for a time span).
static IReadOnlyList<string> Refusals(Exception exception) => exception switch
{
    OptionsValidationException invalid => invalid.Failures.ToList(),
    AggregateException several when several.InnerExceptions.All(inner => inner is OptionsValidationException) =>
        several.InnerExceptions.Cast<OptionsValidationException>().SelectMany(invalid => invalid.Failures).ToList(),
    InvalidOperationException unreadable when SettingText.Unreadable(unreadable) is { } sentence => [sentence],
    // A database that does not exist or refuses these credentials: ConnectionStrings__Default must change, not the code.
    _ when Causes(exception).OfType<Npgsql.PostgresException>().FirstOrDefault(
            refusal => refusal.SqlState is Npgsql.PostgresErrorCodes.InvalidCatalogName or Npgsql.PostgresErrorCodes.InvalidPassword
                or Npgsql.PostgresErrorCodes.InvalidAuthorizationSpecification) is { } refusal =>
        [$"PostgreSQL refused the connection: {refusal.MessageText}. Check ConnectionStrings__Default."],
    _ => [],
};

/// <summary>Visible to the tests' WebApplicationFactory.</summary>
public partial class Program;
