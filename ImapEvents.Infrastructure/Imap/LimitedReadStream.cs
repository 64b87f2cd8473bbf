using System.Net.Sockets;

namespace ImapEvents.Infrastructure.Imap;

/// <summary>The server sent more than a step of a check may read. Its message says so in the administrator's terms.</summary>
internal sealed class ReadLimitExceededException(string message) : IOException(message)
{
    /// <summary>The exception itself, or the one it wraps at any depth (MailKit and TLS wrap what the socket stream throws).</summary>
    public static ReadLimitExceededException? FindIn(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is ReadLimitExceededException found)
            {
                return found;
            }
        }

        return null;
    }
}

/// <summary>
/// The socket's stream, under MailKit and under TLS: counts what the server sends and reads no further than an
/// allowance. MailKit keeps a response line or token in memory until it ends, so without this a server (or anyone
/// on the path of a plain connection) that never ends its greeting fills the app's memory.
/// </summary>
internal sealed class LimitedReadStream(Socket socket) : Stream
{
    private readonly NetworkStream inner = new(socket, ownsSocket: true);
    private long allowance = long.MaxValue;
    private long readSinceAllowed;
    private long totalRead;
    private string whenExceeded = "";

    /// <summary>Everything read from the server since the connection was made.</summary>
    public long TotalRead => Interlocked.Read(ref totalRead);

    /// <summary>From now on, at most <paramref name="bytes"/> more may be read; beyond that the connection is closed and reads fail with <paramref name="message"/>.</summary>
    public void Allow(long bytes, string message)
    {
        allowance = bytes;
        readSinceAllowed = 0;
        whenExceeded = message;
    }

    /// <summary>Closes the socket, whatever is reading or writing on it now: those calls fail at once.</summary>
    public void Abort() => socket.Dispose();

    public override int Read(Span<byte> buffer) => Counted(inner.Read(buffer[..Fit(buffer.Length)]));

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Counted(await inner.ReadAsync(buffer[..Fit(buffer.Length)], cancellationToken));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>Asks for no more than one byte past the allowance, so even a single read cannot overshoot it by much.</summary>
    private int Fit(int wanted)
    {
        var left = allowance - readSinceAllowed;
        if (left < 0)
        {
            throw Exceeded();
        }

        return (int)Math.Min(wanted, left + 1);
    }

    private int Counted(int read)
    {
        Interlocked.Add(ref totalRead, read);
        readSinceAllowed += read;
        if (readSinceAllowed > allowance)
        {
            throw Exceeded();
        }

        return read;
    }

    private ReadLimitExceededException Exceeded()
    {
        // The server must stop sending now, and hear so: a closed socket is the one signal it cannot ignore.
        Abort();
        return new ReadLimitExceededException(whenExceeded);
    }

    public override void Write(ReadOnlySpan<byte> buffer) => inner.Write(buffer);

    public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        inner.WriteAsync(buffer, cancellationToken);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        inner.WriteAsync(buffer, offset, count, cancellationToken);

    public override void Flush() => inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override bool CanRead => inner.CanRead;

    public override bool CanWrite => inner.CanWrite;

    public override bool CanSeek => false;

    public override bool CanTimeout => inner.CanTimeout;

    public override int ReadTimeout
    {
        get => inner.ReadTimeout;
        set => inner.ReadTimeout = value;
    }

    public override int WriteTimeout
    {
        get => inner.WriteTimeout;
        set => inner.WriteTimeout = value;
    }

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
