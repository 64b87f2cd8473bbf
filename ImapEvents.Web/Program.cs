using ImapEvents.Infrastructure;
using ImapEvents.Web;

var builder = WebApplication.CreateBuilder(args);

// A worker runs the checks and deliveries of a cluster and serves no UI (App__WorkerOnly=true).
var workerOnly = builder.Configuration.GetValue<bool>("App:WorkerOnly");

builder.Services.AddInfrastructure(builder.Configuration);
if (!workerOnly)
{
    builder.Services.AddWeb();
}

var app = builder.Build();

await app.InitializeDatabaseAsync();
if (workerOnly)
{
    app.MapHealthChecks("/healthz");
}
else
{
    app.UseWeb();
}

await app.RunAsync();

/// <summary>Visible to the tests' WebApplicationFactory.</summary>
public partial class Program;
