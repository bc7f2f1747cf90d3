using System.Collections.Concurrent;
using System.Globalization;
using CodeRaft.Admin.Features.Siem;

namespace CodeRaft.Admin.Tests.Features.Siem.Delivery;

/// <summary>
/// A minimal RFC 5424-shaped formatter for transport and engine tests, independent of the real formatters: the
/// sequence is recoverable from every line (<c>sequence="n"</c>), checkpoints say <c>checkpoint</c>.
/// </summary>
public sealed class TestFormatter : ISiemFormatter
{
    public string Format(SiemRecord record) => record.Entry is { } e
        ? string.Create(CultureInfo.InvariantCulture, $"<110>1 {e.Timestamp} test coderaft - {e.Action} [audit@32473 sequence=\"{e.Sequence}\" hash=\"{e.Hash}\"] {e.Details}")
        : string.Create(CultureInfo.InvariantCulture, $"<110>1 {record.Checkpoint!.Timestamp} test coderaft - checkpoint [checkpoint@32473 sequence=\"{record.Sequence}\" hash=\"{record.Checkpoint.Hash}\"]");
}

public sealed class TestFormatterFactory : ISiemFormatterFactory
{
    public ISiemFormatter Create(SiemTarget target) => new TestFormatter();
}

/// <summary>Records what each target was sent; a per-target behavior decides whether a send succeeds.</summary>
public sealed class FakeSenderFactory : ISiemSenderFactory
{
    public ConcurrentDictionary<Guid, ConcurrentQueue<SiemRecord>> Received { get; } = new();

    public ConcurrentDictionary<Guid, int> Attempts { get; } = new();

    /// <summary>Runs before a batch is accepted; throw to fail the send, or await the token to blackhole it.</summary>
    public ConcurrentDictionary<Guid, Func<int, CancellationToken, Task>> Behavior { get; } = new();

    public ISiemSender Create(SiemTarget target) => new Sender(this, target.Id);

    public IReadOnlyList<SiemRecord> Of(Guid target) => Received.TryGetValue(target, out var q) ? [.. q] : [];

    private sealed class Sender(FakeSenderFactory owner, Guid target) : ISiemSender
    {
        public async Task SendAsync(IReadOnlyList<SiemRecord> batch, CancellationToken cancellationToken)
        {
            var attempt = owner.Attempts.AddOrUpdate(target, 1, (_, n) => n + 1);
            if (owner.Behavior.TryGetValue(target, out var behavior))
            {
                await behavior(attempt, cancellationToken);
            }

            var queue = owner.Received.GetOrAdd(target, _ => new ConcurrentQueue<SiemRecord>());
            foreach (var record in batch)
            {
                queue.Enqueue(record);
            }
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}

internal static class Eventually
{
    /// <summary>Waits (bounded) for a condition that asynchronous delivery makes true; not a timing assertion.</summary>
    public static async Task TrueAsync(Func<Task<bool>> condition, string what, int seconds = 20)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Not reached within {seconds} s: {what}");
            }

            await Task.Delay(20);
        }
    }

    public static Task TrueAsync(Func<bool> condition, string what, int seconds = 20) => TrueAsync(() => Task.FromResult(condition()), what, seconds);
}
