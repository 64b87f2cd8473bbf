namespace ImapEvents.Tests.TestSupport;

/// <summary>
/// A clock that moves only when the test says so. Its timers fire on <see cref="Advance"/>, on the
/// test's thread, so what happens after a given time is decided without waiting for it. A timer due
/// now fires as soon as it is set, as a real one would a moment later.
/// </summary>
public sealed class ManualClock : TimeProvider
{
    private readonly List<ManualTimer> timers = [];
    private DateTimeOffset now = new(2026, 11, 27, 3, 4, 5, TimeSpan.Zero);

    public override DateTimeOffset GetUtcNow()
    {
        lock (timers)
        {
            return now;
        }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ManualTimer(this, callback, state);
        lock (timers)
        {
            timers.Add(timer);
        }

        timer.Change(dueTime, period);
        return timer;
    }

    public void Advance(TimeSpan by)
    {
        lock (timers)
        {
            now += by;
        }

        FireDueTimers();
    }

    private void FireDueTimers()
    {
        while (true)
        {
            ManualTimer? due;
            lock (timers)
            {
                due = timers.Where(t => t.DueAt <= now).OrderBy(t => t.DueAt).FirstOrDefault();
                due?.Reschedule(now);
            }

            if (due is null)
            {
                return;
            }

            // Outside the lock: the callback may set timers again.
            due.Fire();
        }
    }

    private sealed class ManualTimer(ManualClock clock, TimerCallback callback, object? state) : ITimer
    {
        private TimeSpan period = Timeout.InfiniteTimeSpan;

        public DateTimeOffset DueAt { get; private set; } = DateTimeOffset.MaxValue;

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (clock.timers)
            {
                ObjectDisposedException.ThrowIf(!clock.timers.Contains(this), this);

                this.period = period;
                DueAt = dueTime == Timeout.InfiniteTimeSpan ? DateTimeOffset.MaxValue : clock.now + dueTime;
            }

            clock.FireDueTimers();
            return true;
        }

        public void Reschedule(DateTimeOffset now) =>
            DueAt = period == Timeout.InfiniteTimeSpan || period == TimeSpan.Zero ? DateTimeOffset.MaxValue : now + period;

        public void Fire() => callback(state);

        public void Dispose()
        {
            lock (clock.timers)
            {
                clock.timers.Remove(this);
            }
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
