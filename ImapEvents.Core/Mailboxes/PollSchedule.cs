namespace ImapEvents.Core.Mailboxes;

/// <summary>
/// When a mailbox is due. Each mailbox checks on its own grid: every interval, from an offset within the interval
/// that comes from its id. Ten thousand mailboxes on a 1-minute interval are spread over the whole minute, not all
/// due at second 0, and the same mailbox always keeps its place.
/// </summary>
public static class PollSchedule
{
    /// <summary>The mailbox's place within its interval: from 0 up to the interval, to the second.</summary>
    public static TimeSpan Offset(int intervalMinutes, Guid mailboxId)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(intervalMinutes, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(intervalMinutes, MailboxRules.MaxPollIntervalMinutes);
        return TimeSpan.FromSeconds(Spread(mailboxId) % (intervalMinutes * 60L));
    }

    /// <summary>The first time on the mailbox's grid strictly after <paramref name="after"/>.</summary>
    public static DateTimeOffset NextDue(int intervalMinutes, Guid mailboxId, DateTimeOffset after)
    {
        var interval = TimeSpan.FromMinutes(intervalMinutes).Ticks;
        var offset = Offset(intervalMinutes, mailboxId).Ticks;
        var sinceEpoch = after.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks - offset;
        // Whole ticks (a double would round them away), floored also before the epoch.
        var slots = sinceEpoch >= 0 ? sinceEpoch / interval : -((-sinceEpoch + interval - 1) / interval);
        var next = DateTimeOffset.UnixEpoch.UtcTicks + offset + (slots + 1) * interval;
        return new DateTimeOffset(next, TimeSpan.Zero);
    }

    private static long Spread(Guid mailboxId)
    {
        Span<byte> bytes = stackalloc byte[16];
        mailboxId.TryWriteBytes(bytes);
        // Every interval is whole minutes of at most a day, so a number of seconds below a day spreads any of them.
        return BitConverter.ToUInt32(bytes) % 86_400;
    }
}
