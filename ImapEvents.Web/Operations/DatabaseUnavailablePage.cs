using System.Net;
using Npgsql;

namespace ImapEvents.Web.Operations;

/// <summary>
/// When PostgreSQL cannot be reached, a request that needs it (signing in, the security stamp of a signed-in user, any
/// page) fails before any page can render, the error page included: without this the browser gets an empty 500. This
/// answers such a request with a page of its own that needs nothing, says what is wrong and what to do, and asks the
/// browser to try again; the checks and deliveries wait for the database by themselves.
/// </summary>
public static class DatabaseUnavailablePage
{
    private const string Html = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Database unavailable · ImapEvents</title>
        <style>
        body { font-family: system-ui, sans-serif; margin: 0; padding: 2rem 1rem; color: #1f2933; background: #f5f7fa; }
        main { max-width: 36rem; margin: 0 auto; background: #fff; padding: 1.5rem; border-radius: 8px; box-shadow: 0 1px 3px rgba(0,0,0,.12); }
        h1 { font-size: 1.4rem; margin-top: 0; }
        code { background: #eef2f6; padding: 0 .25rem; border-radius: 3px; }
        </style>
        </head>
        <body>
        <main>
        <h1>ImapEvents cannot reach its database</h1>
        <p>PostgreSQL is not answering, so this page cannot be shown now. Nothing is lost: checks and notifications
        carry on once it is back.</p>
        <p>Try again in a moment. If it lasts, check that PostgreSQL is running and reachable with the connection
        string ImapEvents was given; <code>/readyz</code> on this server says what is missing.</p>
        </main>
        </body>
        </html>
        """;

    public static WebApplication UseDatabaseUnavailablePage(this WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            try
            {
                await next(context);
            }
            catch (Exception ex) when (IsDatabaseUnavailable(ex) && !context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
            {
                app.Logger.LogWarning(ex, "PostgreSQL is unreachable; {Path} was answered with the database-unavailable page", context.Request.Path);
                context.Response.Clear();
                context.Response.StatusCode = (int)HttpStatusCode.ServiceUnavailable;
                context.Response.Headers.RetryAfter = "10";
                context.Response.Headers.CacheControl = "no-store";
                context.Response.ContentType = "text/html; charset=utf-8";
                await context.Response.WriteAsync(Html, context.RequestAborted);
            }
        });
        return app;
    }

    /// <summary>
    /// PostgreSQL away: no connection (refused, timed out, pool exhausted waiting for one), or the server shutting down
    /// or not yet accepting connections. Not a query that failed on a working database: that is a bug to report as one.
    /// </summary>
    public static bool IsDatabaseUnavailable(Exception exception)
    {
        for (Exception? current = exception; current is not null; current = current.InnerException)
        {
            switch (current)
            {
                case PostgresException postgres when postgres.SqlState.StartsWith("08", StringComparison.Ordinal)
                                                     || postgres.SqlState.StartsWith("57P", StringComparison.Ordinal)
                                                     || postgres.SqlState == PostgresErrorCodes.TooManyConnections:
                    return true;
                case PostgresException:
                    return false;
                case NpgsqlException:
                    return true;
            }
        }

        return false;
    }
}
