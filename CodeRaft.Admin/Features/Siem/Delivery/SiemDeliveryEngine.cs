using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using CodeRaft.Admin.Features.Audit;
using CodeRaft.Admin.Features.Audit.Chain;
using CodeRaft.Admin.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CodeRaft.Admin.Features.Siem.Delivery;

/// <summary>
/// Forwards the audit chain to every enabled SIEM target (docs/siem.md, Delivery; ADR-012). One independent loop per
/// target reads the entries after the target's durable cursor, interleaves the checkpoints of that range, filters,
/// sends, and only then advances the cursor: at least once, in order, never a gap. Loops are woken by
/// <see cref="AuditWriter.Appended"/> and poll as a fallback; a slow or failing target only delays itself.
/// </summary>
public sealed class SiemDeliveryEngine : BackgroundService, ISiemDeliveryControl
{
    private readonly IDbContextFactory<AdminDbContext> _contexts;
    private readonly AuditWriter _writer;
    private readonly ISiemSenderFactory _senders;
    private readonly TimeProvider _time;
    private readonly SiemDeliveryOptions _options;
    private readonly ILogger<SiemDeliveryEngine> _logger;
    private readonly Channel<bool> _changed = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly Dictionary<Guid, TargetLoop> _loops = [];

    // Whether the target's "failing" entry was written and its "recovered" one is still due. Kept across loop
    // restarts (target edited, replay) so a restart neither repeats nor forgets the announcement.
    private readonly ConcurrentDictionary<Guid, bool> _announcedFailing = new();

    public SiemDeliveryEngine(IDbContextFactory<AdminDbContext> contexts, AuditWriter writer, ISiemSenderFactory senders, TimeProvider time,
        IOptions<SiemDeliveryOptions> options, ILogger<SiemDeliveryEngine> logger)
    {
        _contexts = contexts;
        _writer = writer;
        _senders = senders;
        _time = time;
        _options = options.Value;
        _logger = logger;
    }

    public void TargetsChanged() => _changed.Writer.TryWrite(true);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _writer.Appended += OnAppended;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    await ReconcileAsync(stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    _logger.LogWarning("SIEM delivery could not load its targets ({Error}); retrying.", e.GetType().Name);
                }

                await WaitForSignalAsync(_changed.Reader, _options.PollInterval, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // shutting down; every cursor is already durable
        }
        finally
        {
            _writer.Appended -= OnAppended;
            await Task.WhenAll(_loops.Values.Select(l => l.StopAsync()));
            _loops.Clear();
        }
    }

    /// <summary>Called on the appender's thread after its commit: only a signal, never work.</summary>
    private void OnAppended(long head)
    {
        lock (_loops)
        {
            foreach (var loop in _loops.Values)
            {
                loop.Wake.Writer.TryWrite(true);
            }
        }
    }

    /// <summary>Starts loops of new or enabled targets, restarts changed ones (settings, or a cursor moved by replay), stops the rest.</summary>
    private async Task ReconcileAsync(CancellationToken cancellationToken)
    {
        await using var db = await _contexts.CreateDbContextAsync(cancellationToken);
        var targets = await db.SiemTargets.AsNoTracking().Where(t => t.Enabled).ToListAsync(cancellationToken);
        var cursors = await db.SiemDelivery.AsNoTracking().ToDictionaryAsync(d => d.TargetId, d => d.Cursor, cancellationToken);
        var wanted = targets.ToDictionary(t => t.Id);

        foreach (var (id, loop) in _loops.ToList())
        {
            var moved = cursors.TryGetValue(id, out var stored) && loop.Cursor is not null && stored != loop.Persisted;
            // A loop that ended without being stopped died of an unexpected error: start it again (from its durable
            // cursor), so one database hiccup cannot silently end forwarding to a target.
            if (!wanted.TryGetValue(id, out var target) || Fingerprint(target) != loop.Fingerprint || moved || loop.HasEnded)
            {
                await loop.StopAsync();
                lock (_loops)
                {
                    _loops.Remove(id);
                }
            }
        }

        foreach (var target in targets.Where(t => !_loops.ContainsKey(t.Id)))
        {
            var loop = new TargetLoop(target, Fingerprint(target));
            lock (_loops)
            {
                _loops[target.Id] = loop;
            }

            loop.Start(ct => RunTargetAsync(loop, ct));
        }
    }

    private static string Fingerprint(SiemTarget t) => string.Join('\u001f',
        t.UpdatedAt.Ticks.ToString(CultureInfo.InvariantCulture), t.Type, t.Endpoint, t.Format, t.StructuredDataId, t.Products, t.Categories,
        t.Outcomes, t.Secret?.GetHashCode(StringComparison.Ordinal) ?? 0, t.ClientCertificatePfx?.Length ?? 0, t.TrustedCaPem.Length, t.HecIndex,
        t.HecSourceType, t.HecAcknowledgments);

    private async Task RunTargetAsync(TargetLoop loop, CancellationToken cancellationToken)
    {
        var target = loop.Target;
        var filter = new SiemFilter(target);
        ISiemSender? sender = null;
        var pendingDelivered = 0;
        var pendingAttemptAt = DateTime.MinValue;
        var lastPersistAt = DateTimeOffset.MinValue;

        // Checkpoints at the cursor's own sequence already forwarded (in memory: after a restart the ones at the
        // cursor are sent again — at least once, like entries).
        var checkpointsAfter = "";

        // Successful sends of the last moments (when, from which cursor), for a sender without acknowledgments.
        var recent = new Queue<(DateTimeOffset SentAt, long From)>();

        // Writes the in-memory cursor (delivered batches) to the store; false = someone else moved it (replay).
        async Task<bool> PersistAsync(CancellationToken ct)
        {
            if (loop.Cursor == loop.Persisted && pendingDelivered == 0)
            {
                return true;
            }

            if (!await AdvanceAsync(target.Id, loop.Persisted, loop.Cursor!.Value, pendingDelivered, pendingAttemptAt, ct))
            {
                return false;
            }

            loop.Persisted = loop.Cursor!.Value;
            pendingDelivered = 0;
            lastPersistAt = _time.GetUtcNow();
            return true;
        }

        async Task ReloadAsync(CancellationToken ct)
        {
            var moved = await LoadStateAsync(target, ct);
            loop.Cursor = loop.Persisted = moved.Cursor;
            pendingDelivered = 0;
            checkpointsAfter = "";
            recent.Clear();
        }

        try
        {
            var state = await LoadStateAsync(target, cancellationToken);
            loop.Cursor = loop.Persisted = state.Cursor;
            var failures = state.ConsecutiveFailures;
            _announcedFailing.GetOrAdd(target.Id, IsFailing(state, _time.GetUtcNow().UtcDateTime));
            while (!cancellationToken.IsCancellationRequested)
            {
                var cursor = loop.Cursor!.Value;
                Batch batch;
                try
                {
                    batch = await ReadAsync(cursor, checkpointsAfter, cancellationToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    _logger.LogWarning("SIEM target {Target}: reading the audit log failed ({Error}).", target.Id, e.GetType().Name);
                    await Task.Delay(_options.PollInterval, _time, cancellationToken);
                    continue;
                }

                if (batch.Records.Count == 0)
                {
                    // Caught up: make the cursor durable before idling.
                    if (!await PersistAsync(cancellationToken))
                    {
                        await ReloadAsync(cancellationToken);
                        continue;
                    }

                    await WaitForSignalAsync(loop.Wake.Reader, _options.PollInterval, cancellationToken);
                    continue;
                }

                var (records, last) = (batch.Records, batch.Last);
                var selected = records.Where(filter.Matches).ToList();
                var attemptAt = _time.GetUtcNow().UtcDateTime;
                if (selected.Count > 0)
                {
                    try
                    {
                        sender ??= _senders.Create(target);
                        using var timeout = new CancellationTokenSource(_options.SendTimeout, _time);
                        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
                        await sender.SendAsync(selected, linked.Token);
                    }
                    catch (Exception e) when (!cancellationToken.IsCancellationRequested)
                    {
                        failures++;
                        if (sender is ISiemUnacknowledgedSender unacknowledged && unacknowledged.TakeConnectionLostAt() is { } lostAt)
                        {
                            Rewind(loop, recent, lostAt - _options.UnacknowledgedResendWindow);
                            checkpointsAfter = ""; // checkpoints of the re-sent range go again too
                        }

                        if (e is not SiemDeliveryException && sender is not null)
                        {
                            // Unknown state: start over with a fresh sender (new connection, new client).
                            await DisposeQuietlyAsync(sender);
                            sender = null;
                        }

                        if (!await PersistOrRewindAsync(loop, () => PersistAsync(cancellationToken), cancellationToken))
                        {
                            await ReloadAsync(cancellationToken);
                        }

                        var error = SiemErrorRedactor.Redact(e, target);
                        await RecordFailureAsync(target, failures, error, attemptAt, cancellationToken);
                        var retryAfter = (e as SiemDeliveryException)?.RetryAfter;
                        var delay = retryAfter is { } wish && wish > TimeSpan.Zero
                            ? TimeSpan.FromTicks(Math.Min(wish.Ticks, _options.RetryMax.Ticks))
                            : SiemBackoff.Delay(failures, _options.RetryMin, _options.RetryMax, _options.Jitter());
                        _logger.LogInformation("SIEM target {Target}: send failed ({Failures} in a row), retrying in {Delay}.", target.Id, failures, delay);
                        await Task.Delay(delay, _time, cancellationToken);
                        continue;
                    }
                }

                checkpointsAfter = batch.NewestCheckpointAtLast;
                loop.Cursor = last;
                pendingDelivered += selected.Count(r => r.Entry is not null);
                pendingAttemptAt = attemptAt;
                var sentAt = _time.GetUtcNow();
                recent.Enqueue((sentAt, cursor));
                while (recent.Count > 0 && recent.Peek().SentAt < sentAt - (2 * _options.UnacknowledgedResendWindow))
                {
                    recent.Dequeue();
                }

                // Under load the cursor is written at most every CursorPersistInterval (one small write instead of
                // one per batch, so delivery does not compete with appends for the database's writer lock); a crash
                // re-sends what was delivered since (at least once).
                if (last == cursor || failures > 0 || sentAt - lastPersistAt >= _options.CursorPersistInterval)
                {
                    if (last == cursor)
                    {
                        await MarkSuccessAsync(target.Id, attemptAt, cancellationToken);
                    }

                    if (!await PersistAsync(cancellationToken))
                    {
                        // The cursor was moved underneath us (replay): continue from where it now is.
                        await ReloadAsync(cancellationToken);
                        continue;
                    }
                }

                if (failures > 0)
                {
                    failures = 0;
                    if (_announcedFailing.TryUpdate(target.Id, false, true))
                    {
                        await AnnounceAsync(target, "siem.target_recovered", AuditVocabulary.Success, null, cancellationToken);
                    }
                }
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Not a send failure (those are handled above): the store failed under the loop (locked, restarting,
            // unreachable). The loop ends; ReconcileAsync starts it again within PollInterval from the durable cursor.
            // Recorded as a failure, so the target's health shows it and a long outage is announced as failing.
            _logger.LogWarning("SIEM target {Target}: delivery stopped by an error ({Error}); restarting from the saved cursor.", target.Id, e.GetType().Name);
            try
            {
                var state = await LoadStateAsync(target, CancellationToken.None);
                await RecordFailureAsync(target, state.ConsecutiveFailures + 1, "The portal could not read or write its delivery state; retrying.",
                    _time.GetUtcNow().UtcDateTime, CancellationToken.None);
            }
            catch (Exception inner) when (inner is not OperationCanceledException)
            {
                _logger.LogWarning("SIEM target {Target}: the failure could not be recorded either ({Error}).", target.Id, inner.GetType().Name);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // stopped (shutdown, target changed or disabled): keep what was delivered
            try
            {
                await PersistAsync(CancellationToken.None);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _logger.LogWarning("SIEM target {Target}: the cursor could not be saved on stop ({Error}); the last batches will be sent again.", target.Id, e.GetType().Name);
            }
        }
        finally
        {
            if (sender is not null)
            {
                await DisposeQuietlyAsync(sender);
            }
        }
    }

    /// <summary>After a rewind below the durable cursor, the store must follow; otherwise just persist what was delivered.</summary>
    private async Task<bool> PersistOrRewindAsync(TargetLoop loop, Func<Task<bool>> persist, CancellationToken cancellationToken)
    {
        if (loop.Cursor is not { } cursor || cursor >= loop.Persisted)
        {
            return await persist();
        }

        await using var db = await _contexts.CreateDbContextAsync(cancellationToken);
        var moved = await db.SiemDelivery.Where(d => d.TargetId == loop.Target.Id && d.Cursor == loop.Persisted)
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.Cursor, cursor), CancellationToken.None);
        if (moved != 1)
        {
            return false;
        }

        loop.Persisted = cursor;
        return true;
    }

    /// <summary>Moves the in-memory cursor back to before the batches sent since <paramref name="since"/> (they may be lost).</summary>
    private void Rewind(TargetLoop loop, Queue<(DateTimeOffset SentAt, long From)> recent, DateTimeOffset since)
    {
        var suspect = recent.Where(r => r.SentAt >= since).Select(r => (long?)r.From).Min();
        recent.Clear();
        if (suspect is { } to && loop.Cursor is { } current && to < current)
        {
            loop.Cursor = to;
            _logger.LogInformation("SIEM target {Target}: connection lost; re-sending from sequence {Sequence} (may duplicate).", loop.Target.Id, to + 1);
        }
    }

    /// <summary>The target's delivery row; a new target starts at the head as of its creation (older history: replay).</summary>
    private async Task<SiemDelivery> LoadStateAsync(SiemTarget target, CancellationToken cancellationToken)
    {
        await using var db = await _contexts.CreateDbContextAsync(cancellationToken);
        var state = await db.SiemDelivery.AsNoTracking().SingleOrDefaultAsync(d => d.TargetId == target.Id, cancellationToken);
        if (state is not null)
        {
            return state;
        }

        var createdAt = AuditHash.FormatTimestamp(new DateTimeOffset(DateTime.SpecifyKind(target.CreatedAt, DateTimeKind.Utc)));
        var head = await db.AuditEntries.Where(e => string.Compare(e.Timestamp, createdAt) < 0).MaxAsync(e => (long?)e.Sequence, cancellationToken) ?? 0;
        state = new SiemDelivery { TargetId = target.Id, Cursor = head };
        db.SiemDelivery.Add(state);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            return state;
        }
        catch (DbUpdateException)
        {
            // Created concurrently (the console, another process): theirs wins.
            await using var again = await _contexts.CreateDbContextAsync(cancellationToken);
            return await again.SiemDelivery.AsNoTracking().SingleAsync(d => d.TargetId == target.Id, cancellationToken);
        }
    }

    /// <summary>
    /// Entries after the cursor (one batch), each followed by the checkpoints at its sequence; first, checkpoints at
    /// the cursor itself that are newer than the last one forwarded (a periodic checkpoint of an already delivered
    /// head, e.g. while idle).
    /// </summary>
    private async Task<Batch> ReadAsync(long cursor, string checkpointsAfter, CancellationToken cancellationToken)
    {
        await using var db = await _contexts.CreateDbContextAsync(cancellationToken);
        var entries = await db.AuditEntries.AsNoTracking().Where(e => e.Sequence > cursor).OrderBy(e => e.Sequence)
            .Take(_options.BatchSize).ToListAsync(cancellationToken);
        var last = entries.Count > 0 ? entries[^1].Sequence : cursor;
        var checkpoints = await db.AuditCheckpoints.AsNoTracking()
            .Where(c => (c.Sequence > cursor && c.Sequence <= last) || (c.Sequence == cursor && string.Compare(c.Timestamp, checkpointsAfter) > 0))
            .OrderBy(c => c.Sequence).ThenBy(c => c.Timestamp).ToListAsync(cancellationToken);
        var records = new List<SiemRecord>(entries.Count + checkpoints.Count);
        var next = 0;
        while (next < checkpoints.Count && checkpoints[next].Sequence <= cursor)
        {
            records.Add(new SiemRecord(null, checkpoints[next++]));
        }

        foreach (var entry in entries)
        {
            records.Add(new SiemRecord(entry, null));
            while (next < checkpoints.Count && checkpoints[next].Sequence <= entry.Sequence)
            {
                records.Add(new SiemRecord(null, checkpoints[next++]));
            }
        }

        // Ordered by timestamp (ordinal in both databases: ISO 8601 text), so the last one at `last` is the newest.
        var newestAtLast = checkpoints.LastOrDefault(c => c.Sequence == last)?.Timestamp;
        return new Batch(records, last, newestAtLast ?? (last == cursor ? checkpointsAfter : ""));
    }

    private sealed record Batch(IReadOnlyList<SiemRecord> Records, long Last, string NewestCheckpointAtLast);

    /// <summary>Moves the cursor only if nobody else moved it since we read it (a replay wins over an in-flight batch).</summary>
    private async Task<bool> AdvanceAsync(Guid targetId, long from, long to, int delivered, DateTime attemptAt, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        await using var db = await _contexts.CreateDbContextAsync(cancellationToken);
        var updated = await db.SiemDelivery.Where(d => d.TargetId == targetId && d.Cursor == from).ExecuteUpdateAsync(s => s
            .SetProperty(d => d.Cursor, to)
            .SetProperty(d => d.Delivered, d => d.Delivered + delivered)
            .SetProperty(d => d.LastSuccessAt, now)
            .SetProperty(d => d.LastAttemptAt, attemptAt)
            .SetProperty(d => d.ConsecutiveFailures, 0), CancellationToken.None);
        return updated == 1;
    }

    private async Task MarkSuccessAsync(Guid targetId, DateTime attemptAt, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        await using var db = await _contexts.CreateDbContextAsync(cancellationToken);
        await db.SiemDelivery.Where(d => d.TargetId == targetId).ExecuteUpdateAsync(s => s
            .SetProperty(d => d.LastSuccessAt, now)
            .SetProperty(d => d.LastAttemptAt, attemptAt)
            .SetProperty(d => d.ConsecutiveFailures, 0), CancellationToken.None);
    }

    private async Task RecordFailureAsync(SiemTarget target, int failures, string error, DateTime attemptAt, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        SiemDelivery? state = null;
        try
        {
            await using var db = await _contexts.CreateDbContextAsync(cancellationToken);
            await db.SiemDelivery.Where(d => d.TargetId == target.Id).ExecuteUpdateAsync(s => s
                .SetProperty(d => d.ConsecutiveFailures, failures)
                .SetProperty(d => d.LastError, error)
                .SetProperty(d => d.LastErrorAt, now)
                .SetProperty(d => d.LastAttemptAt, attemptAt), cancellationToken);
            state = await db.SiemDelivery.AsNoTracking().SingleOrDefaultAsync(d => d.TargetId == target.Id, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _logger.LogWarning("SIEM target {Target}: recording the failure failed ({Error}).", target.Id, e.GetType().Name);
        }

        state ??= new SiemDelivery { TargetId = target.Id, ConsecutiveFailures = failures };
        if (IsFailing(state, now) && _announcedFailing.TryUpdate(target.Id, true, false))
        {
            await AnnounceAsync(target, "siem.target_failing", AuditVocabulary.Failure, error, cancellationToken);
        }
    }

    private async Task AnnounceAsync(SiemTarget target, string action, string outcome, string? error, CancellationToken cancellationToken)
    {
        try
        {
            await _writer.AppendAsync(new AuditEvent
            {
                Category = "siem",
                Action = action,
                Outcome = outcome,
                TargetType = "siem_target",
                TargetId = target.Id.ToString(),
                Details = error is null
                    ? AuditDetails.Of(("name", target.Name), ("type", target.Type.ToText()))
                    : AuditDetails.Of(("name", target.Name), ("type", target.Type.ToText()), ("error", error)),
            }, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _logger.LogWarning("SIEM target {Target}: the {Action} audit entry could not be written ({Error}).", target.Id, action, e.GetType().Name);
        }
    }

    /// <summary>Failing: N consecutive failures, or failures with no success for the configured time (docs/siem.md).</summary>
    private bool IsFailing(SiemDelivery state, DateTime now) =>
        state.ConsecutiveFailures >= _options.FailingAfterFailures
        || (state.ConsecutiveFailures > 0 && state.LastSuccessAt is { } success && now - success >= _options.FailingAfterNoSuccess);

    public async Task<IReadOnlyList<SiemTargetStatus>> StatusAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await _contexts.CreateDbContextAsync(cancellationToken);
        var targets = await db.SiemTargets.AsNoTracking().OrderBy(t => t.Name).ToListAsync(cancellationToken);
        var states = await db.SiemDelivery.AsNoTracking().ToDictionaryAsync(d => d.TargetId, cancellationToken);
        var head = await db.AuditEntries.MaxAsync(e => (long?)e.Sequence, cancellationToken) ?? 0;
        var now = _time.GetUtcNow().UtcDateTime;
        var result = new List<SiemTargetStatus>(targets.Count);
        foreach (var target in targets)
        {
            var state = states.GetValueOrDefault(target.Id) ?? new SiemDelivery { TargetId = target.Id, Cursor = head };
            var lagEvents = Math.Max(0, head - state.Cursor);
            TimeSpan? lagTime = null;
            if (lagEvents > 0)
            {
                var oldest = await db.AuditEntries.Where(e => e.Sequence > state.Cursor).OrderBy(e => e.Sequence).Select(e => e.Timestamp).FirstOrDefaultAsync(cancellationToken);
                if (DateTime.TryParse(oldest, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var at))
                {
                    lagTime = now > at ? now - at : TimeSpan.Zero;
                }
            }
            else
            {
                lagTime = TimeSpan.Zero;
            }

            var health = !target.Enabled ? SiemHealth.Disabled
                : IsFailing(state, now) ? SiemHealth.Failing
                : state.ConsecutiveFailures > 0 || lagEvents > _options.DegradedLagEvents || lagTime > _options.DegradedLagTime ? SiemHealth.Degraded
                : SiemHealth.Healthy;
            result.Add(new SiemTargetStatus(target.Id, health, lagEvents, lagTime, state.Delivered, state.LastSuccessAt, state.LastErrorAt, state.LastError));
        }

        return result;
    }

    public async Task<SiemTestResult> SendTestAsync(Guid targetId, CancellationToken cancellationToken = default)
    {
        await using var db = await _contexts.CreateDbContextAsync(cancellationToken);
        var target = await db.SiemTargets.AsNoTracking().SingleOrDefaultAsync(t => t.Id == targetId, cancellationToken);
        return target is null
            ? new SiemTestResult(false, "No such SIEM target.", TimeSpan.Zero)
            : await SiemTestEvent.SendAsync(_senders, target, _time, _options.SendTimeout, cancellationToken);
    }

    private static async Task WaitForSignalAsync(ChannelReader<bool> signal, TimeSpan timeout, CancellationToken cancellationToken, TimeProvider? time = null)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var delay = Task.Delay(timeout, time ?? TimeProvider.System, stop.Token);
        var woken = signal.WaitToReadAsync(stop.Token).AsTask();
        await Task.WhenAny(delay, woken);
        await stop.CancelAsync();
        signal.TryRead(out _);
        cancellationToken.ThrowIfCancellationRequested();
    }

    private Task WaitForSignalAsync(ChannelReader<bool> signal, TimeSpan timeout, CancellationToken cancellationToken) =>
        WaitForSignalAsync(signal, timeout, cancellationToken, _time);

    private static async Task DisposeQuietlyAsync(ISiemSender sender)
    {
        try
        {
            await sender.DisposeAsync();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or System.Net.Sockets.SocketException)
        {
            // closing a broken connection
        }
    }

    private sealed class TargetLoop(SiemTarget target, string fingerprint) : IDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private Task _run = Task.CompletedTask;
        private long _cursor = -1;
        private long _persisted = -1;

        public SiemTarget Target { get; } = target;

        public string Fingerprint { get; } = fingerprint;

        public Channel<bool> Wake { get; } = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

        /// <summary>What the loop last read from or wrote to the store (another value there means a replay moved it).</summary>
        public long Persisted
        {
            get => Interlocked.Read(ref _persisted);
            set => Interlocked.Exchange(ref _persisted, value);
        }

        /// <summary>The next read position (delivered up to here, maybe not yet persisted); null until loaded.</summary>
        public long? Cursor
        {
            get => Interlocked.Read(ref _cursor) is var c && c >= 0 ? c : null;
            set => Interlocked.Exchange(ref _cursor, value ?? -1);
        }

        public void Start(Func<CancellationToken, Task> run) => _run = Task.Run(() => run(_stop.Token));

        /// <summary>The loop returned (or threw) although nobody stopped it.</summary>
        public bool HasEnded => _run.IsCompleted && !_stop.IsCancellationRequested;

        public async Task StopAsync()
        {
            await _stop.CancelAsync();
            await _run.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            Dispose();
        }

        public void Dispose() => _stop.Dispose();
    }
}

/// <summary>The synthetic "Send test event" record: action <c>siem.test</c>, sequence 0, never part of the chain.</summary>
public static class SiemTestEvent
{
    public const string Action = "siem.test";

    private static readonly string Zeros = new('0', 64);

    /// <summary>The console's and the CLI's test record: all-zero hashes, <c>"test": true</c>.</summary>
    public static SiemRecord Create(SiemTarget target, TimeProvider time) => new(new AuditEntry
    {
        Sequence = 0,
        Timestamp = AuditHash.FormatTimestamp(time.GetUtcNow()),
        Product = AuditVocabulary.Admin,
        Category = "siem",
        Action = Action,
        Outcome = AuditVocabulary.Success,
        ActorType = "system",
        ActorName = "CodeRaft.Admin",
        TargetType = "siem_target",
        TargetId = target.Id.ToString(),
        Details = """{"test":true,"message":"Test event from CodeRaft Admin; not part of the audit chain."}""",
        PreviousHash = Zeros,
        Hash = Zeros,
    }, null);

    public static async Task<SiemTestResult> SendAsync(ISiemSenderFactory senders, SiemTarget target, TimeProvider time, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        try
        {
            await using var sender = senders.Create(target);
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            limit.CancelAfter(timeout);
            await sender.SendAsync([Create(target, time)], limit.Token);
            return new SiemTestResult(true, $"Test event accepted by {target.Name} in {watch.ElapsedMilliseconds} ms.", watch.Elapsed);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            return new SiemTestResult(false, $"Test event not delivered: {SiemErrorRedactor.Redact(e, target)}", watch.Elapsed);
        }
    }
}
