using Hangfire.AspNetCore;
using Hangfire.Logging;
using Microsoft.Extensions.Logging;

namespace ImapEvents.Infrastructure.Jobs;

/// <summary>
/// Hangfire's log provider is process-wide. When a second host in the process (a test, a worker
/// beside the web host) stops and disposes its logger factory, logging through it must not throw
/// inside Hangfire's workers; those lines are dropped instead.
/// </summary>
internal sealed class HostLogProvider(ILoggerFactory loggerFactory) : ILogProvider
{
    private readonly AspNetCoreLogProvider inner = new(loggerFactory);

    public ILog GetLogger(string name)
    {
        try
        {
            return new GuardedLog(inner.GetLogger(name));
        }
        catch (ObjectDisposedException)
        {
            return new GuardedLog(null);
        }
    }

    private sealed class GuardedLog(ILog? inner) : ILog
    {
        public bool Log(Hangfire.Logging.LogLevel logLevel, Func<string>? messageFunc, Exception? exception = null)
        {
            if (inner is null)
            {
                return false;
            }

            try
            {
                return inner.Log(logLevel, messageFunc!, exception!);
            }
            catch (ObjectDisposedException)
            {
                return false;
            }
        }
    }
}
