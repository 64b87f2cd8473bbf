namespace ImapEvents.Web.Shared;

public static class ServiceScopeFactoryExtensions
{
    /// <summary>
    /// Runs one operation in its own DI scope. A Blazor circuit keeps its scope for as long as the
    /// tab is open, and a DbContext (with Identity's stores on it) must not live that long.
    /// </summary>
    public static async Task<TResult> RunAsync<TService, TResult>(
        this IServiceScopeFactory scopeFactory, Func<TService, Task<TResult>> operation)
        where TService : notnull
    {
        await using var scope = scopeFactory.CreateAsyncScope();
        return await operation(scope.ServiceProvider.GetRequiredService<TService>());
    }
}
