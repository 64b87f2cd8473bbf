namespace ImapEvents.Core.Mailboxes;

/// <summary>
/// Turns a poll interval into a cron expression. Each mailbox gets its own minute offset, so a
/// thousand mailboxes polled every 5 minutes do not all connect at :00, :05, ….
/// </summary>
public static class PollSchedule
{
    /// <param name="intervalMinutes">1–59, or whole hours up to 24 hours.</param>
    /// <param name="mailboxId">Spreads the start minute; the same mailbox always gets the same one.</param>
    public static string Cron(int intervalMinutes, Guid mailboxId)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(intervalMinutes, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(intervalMinutes, MailboxRules.MaxPollIntervalMinutes);

        var spread = Spread(mailboxId);
        if (intervalMinutes < 60)
        {
            // Intervals that do not divide 60 restart each hour (every 7 minutes: :03, :10, …, :59, then :03).
            return $"{spread % intervalMinutes}/{intervalMinutes} * * * *";
        }

        var hours = intervalMinutes / 60;
        var minute = spread % 60;
        return hours >= 24
            ? $"{minute} {spread % 24} * * *"
            : $"{minute} {spread % hours}/{hours} * * *";
    }

    private static int Spread(Guid mailboxId)
    {
        Span<byte> bytes = stackalloc byte[16];
        mailboxId.TryWriteBytes(bytes);
        return (int)(BitConverter.ToUInt32(bytes) % 3600);
    }
}
