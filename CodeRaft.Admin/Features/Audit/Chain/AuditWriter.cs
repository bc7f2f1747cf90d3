using System.Data.Common;
using System.Threading.Channels;
using CodeRaft.Admin.Features.Audit.Checkpoints;
using CodeRaft.Admin.Infrastructure.Data;
using FluentValidation;
using Microsoft.EntityFrameworkCore;

namespace CodeRaft.Admin.Features.Audit.Chain;

/// <summary>
/// The only code that appends to the audit chain (docs/audit-chain.md).
///
/// Appends are serialized so the chain stays linear: one in-process lock, plus the database's own writer lock
/// (SQLite: the transaction begins IMMEDIATE, which also serializes the CLI; PostgreSQL: a transaction-scoped
/// advisory lock). Inside the lock the head is read, the new entries are hashed onto it, and everything —
/// the caller's state change, the entries, any due checkpoint — commits in one transaction. If the entries
/// cannot be written, nothing is (fail closed).
///
/// Two paths: <see cref="SaveChangesAsync(AdminDbContext, IReadOnlyList{AuditEvent}, CancellationToken)"/> for a
/// feature's change and its entries; <see cref="AppendAsync"/>/<see cref="AppendBatchAsync"/> for standalone events,
/// which commit inline when the chain is free and otherwise queue up and are group-committed (many callers, one
/// transaction, one fsync). Either returns only after the commit is durable.
/// </summary>
public sealed class AuditWriter : IAsyncDisposable
{
    /// <summary>A transaction-scoped PostgreSQL advisory lock; the key is an arbitrary constant naming the chain.</summary>
    private const string PostgresLockSql = "SELECT pg_advisory_xact_lock(7362025112901)";
    private const int MaxGroupCommitEntries = 5000;

    private readonly IDbContextFactory<AdminDbContext> _contexts;
    private readonly AuditCheckpointSigner _signer;
    private readonly TimeProvider _time;
    private readonly AuditEventValidator _validator = new();
    private readonly SemaphoreSlim _appendLock = new(1, 1);
    private readonly Channel<PendingAppend> _queue = Channel.CreateBounded<PendingAppend>(
        new BoundedChannelOptions(10_000) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly Task _groupCommitLoop;
    private readonly ILogger<AuditWriter> _logger;

    // The entry this process last wrote or signed. If it changes underneath us (a rewrite with recomputed hashes,
    // a database restored from an older backup), we must not sign the rewritten head.
    private (long Sequence, string Hash)? _lastKnown;
    private string? _continuityBroken;

    public AuditWriter(IDbContextFactory<AdminDbContext> contexts, AuditCheckpointSigner signer, TimeProvider time, ILogger<AuditWriter> logger)
    {
        _contexts = contexts;
        _signer = signer;
        _time = time;
        _logger = logger;
        _groupCommitLoop = Task.Run(GroupCommitLoopAsync);
    }

    /// <summary>Raised after a commit with the new head sequence (SIEM forwarding wakes on it).</summary>
    public event Action<long>? Appended;

    public Task<IReadOnlyList<AuditEntry>> SaveChangesAsync(AdminDbContext db, AuditEvent auditEvent, CancellationToken cancellationToken = default) =>
        SaveChangesAsync(db, [auditEvent], cancellationToken);

    /// <summary>
    /// Saves the caller's pending changes in <paramref name="db"/> together with the entries for
    /// <paramref name="events"/>, in one transaction. Joins the caller's transaction if one is open (the caller
    /// then commits). Throws <see cref="AuditWriteException"/> when the entries could not be written.
    /// </summary>
    public async Task<IReadOnlyList<AuditEntry>> SaveChangesAsync(AdminDbContext db, IReadOnlyList<AuditEvent> events, CancellationToken cancellationToken = default)
    {
        Validate(events);
        await _appendLock.WaitAsync(cancellationToken);
        try
        {
            var entries = await AppendInTransactionAsync(db, events, cancellationToken);
            Appended?.Invoke(entries[^1].Sequence);
            return entries;
        }
        finally
        {
            _appendLock.Release();
        }
    }

    /// <summary>
    /// Runs a multi-step change (e.g. conditional ExecuteUpdate statements) and records the events it returns,
    /// in one transaction: guard → mutate → persist with audit. The chain lock is taken before the transaction
    /// begins, the same order as every other path, so SQLite's writer lock and ours can never deadlock. Every
    /// ExecuteAsync change is serialized with every other audited change, so a guard that reads and then writes
    /// (check-then-act) cannot race another one.
    /// </summary>
    public async Task<T> ExecuteAsync<T>(AdminDbContext db, Func<CancellationToken, Task<(T Result, IReadOnlyList<AuditEvent> Events)>> change,
        CancellationToken cancellationToken = default)
    {
        await _appendLock.WaitAsync(cancellationToken);
        try
        {
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            // The chain lock first, so the change's guards (last active Owner, free seats…) read a state that no
            // other audited change — in this process or another on PostgreSQL — can alter before this commits.
            await LockChainAsync(db, cancellationToken);
            var (result, events) = await change(cancellationToken);
            Validate(events);
            IReadOnlyList<AuditEntry> entries = events.Count > 0 ? await AppendInTransactionAsync(db, events, cancellationToken, chainLocked: true) : [];
            if (events.Count == 0)
            {
                await db.SaveChangesAsync(cancellationToken);
            }

            await transaction.CommitAsync(CancellationToken.None);
            if (entries.Count > 0)
            {
                _lastKnown = (entries[^1].Sequence, entries[^1].Hash);
                Appended?.Invoke(entries[^1].Sequence);
            }

            return result;
        }
        finally
        {
            _appendLock.Release();
        }
    }

    public async Task<AuditEntry> AppendAsync(AuditEvent auditEvent, CancellationToken cancellationToken = default) =>
        (await AppendBatchAsync([auditEvent], cancellationToken))[0];

    /// <summary>Appends standalone events through the group-commit queue; all of them or none.</summary>
    public async Task<IReadOnlyList<AuditEntry>> AppendBatchAsync(IReadOnlyList<AuditEvent> events, CancellationToken cancellationToken = default)
    {
        if (events.Count == 0)
        {
            return [];
        }

        Validate(events);

        // Nobody waiting and the chain free: commit inline, without the hop through the queue.
        if (_queue.Reader.Count == 0 && await _appendLock.WaitAsync(0, cancellationToken))
        {
            try
            {
                await using var db = await _contexts.CreateDbContextAsync(cancellationToken);
                var entries = await AppendInTransactionAsync(db, events, cancellationToken);
                Appended?.Invoke(entries[^1].Sequence);
                return entries;
            }
            finally
            {
                _appendLock.Release();
            }
        }

        var pending = new PendingAppend(events);
        await _queue.Writer.WriteAsync(pending, cancellationToken);
        return await pending.Completion.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Writes a signed checkpoint of the current head (also when nothing was appended since the last one).</summary>
    public async Task<AuditCheckpoint> WriteCheckpointAsync(CancellationToken cancellationToken = default)
    {
        await _appendLock.WaitAsync(cancellationToken);
        try
        {
            await using var db = await _contexts.CreateDbContextAsync(cancellationToken);
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            await LockChainAsync(db, cancellationToken);
            var (sequence, hash) = await AuditRows.ReadHeadAsync(db, cancellationToken);
            if (await CheckContinuityAsync(db, sequence, hash, cancellationToken) is { } detected)
            {
                db.AuditEntries.Add(ToEntry(detected, sequence + 1, hash, AuditHash.FormatTimestamp(_time.GetUtcNow())));
                await db.SaveChangesAsync(cancellationToken);
                await transaction.CommitAsync(cancellationToken);
            }

            if (_continuityBroken is not null)
            {
                throw new AuditWriteException($"Refusing to sign an audit checkpoint: {_continuityBroken}.");
            }

            var checkpoint = _signer.Create(sequence, hash, AuditHash.FormatTimestamp(_time.GetUtcNow()));
            if (!await db.AuditCheckpoints.AnyAsync(c => c.Sequence == checkpoint.Sequence && c.Timestamp == checkpoint.Timestamp, cancellationToken))
            {
                db.AuditCheckpoints.Add(checkpoint);
                await db.SaveChangesAsync(cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
            _lastKnown = (sequence, hash);
            return checkpoint;
        }
        finally
        {
            _appendLock.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _groupCommitLoop; // drains what was queued before shutdown
        _appendLock.Dispose();
    }

    private void Validate(IReadOnlyList<AuditEvent> events)
    {
        foreach (var auditEvent in events)
        {
            _validator.ValidateAndThrow(auditEvent);
        }
    }

    private async Task GroupCommitLoopAsync()
    {
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync())
        {
            // Take what is waiting right now (up to a bound): one transaction and one fsync for all of it.
            var batch = new List<PendingAppend>();
            var count = 0;
            while (count < MaxGroupCommitEntries && reader.TryRead(out var next))
            {
                batch.Add(next);
                count += next.Events.Count;
            }

            try
            {
                await _appendLock.WaitAsync();
                IReadOnlyList<AuditEntry> entries;
                try
                {
                    await using var db = await _contexts.CreateDbContextAsync();
                    entries = await AppendInTransactionAsync(db, [.. batch.SelectMany(p => p.Events)], CancellationToken.None);
                }
                finally
                {
                    _appendLock.Release();
                }

                var offset = 0;
                foreach (var pending in batch)
                {
                    pending.Completion.TrySetResult([.. entries.Skip(offset).Take(pending.Events.Count)]);
                    offset += pending.Events.Count;
                }

                Appended?.Invoke(entries[^1].Sequence);
            }
            catch (Exception ex)
            {
                foreach (var pending in batch)
                {
                    pending.Completion.TrySetException(ex);
                }
            }
        }
    }

    /// <param name="chainLocked">This transaction already holds the chain lock (ExecuteAsync took it before the change ran).</param>
    private async Task<IReadOnlyList<AuditEntry>> AppendInTransactionAsync(AdminDbContext db, IReadOnlyList<AuditEvent> events, CancellationToken cancellationToken,
        bool chainLocked = false)
    {
        var ownsTransaction = db.Database.CurrentTransaction is null;
        var transaction = ownsTransaction ? await db.Database.BeginTransactionAsync(cancellationToken) : null;
        var entries = new List<AuditEntry>(events.Count);
        var checkpoints = new List<AuditCheckpoint>();
        try
        {
            if (!chainLocked)
            {
                await LockChainAsync(db, cancellationToken); // on PostgreSQL a round trip; taking it twice would cost another
            }

            var (sequence, previousHash) = await AuditRows.ReadHeadAsync(db, cancellationToken);
            var timestamp = AuditHash.FormatTimestamp(_time.GetUtcNow());
            var recorded = 0; // entries this writer adds on its own, ahead of the caller's
            if (await CheckContinuityAsync(db, sequence, previousHash, cancellationToken) is { } detected)
            {
                events = [detected, .. events];
                recorded = 1;
            }

            foreach (var auditEvent in events)
            {
                var entry = ToEntry(auditEvent, ++sequence, previousHash, timestamp);
                entries.Add(entry);
                previousHash = entry.Hash;
                // A signed checkpoint at every 1,000th entry, in the same transaction as the entry itself
                // (never over a chain that was changed underneath this process).
                if (entry.Sequence % 1000 == 0 && _continuityBroken is null)
                {
                    checkpoints.Add(_signer.Create(entry.Sequence, entry.Hash, timestamp));
                }
            }

            // The audit rows go first, as prepared INSERTs on the transaction's connection: EF change tracking
            // would cost more than the durable commit itself (docs/benchmarks.md). The caller's changes follow.
            try
            {
                await AuditRows.InsertAsync(db, entries, checkpoints, cancellationToken);
            }
            catch (DbException ex)
            {
                throw new AuditWriteException(AuditWriteException.FailClosedMessage, ex);
            }

            if (db.ChangeTracker.HasChanges())
            {
                await db.SaveChangesAsync(cancellationToken);
            }

            if (transaction is not null)
            {
                // Past this point the rows are written: finish the commit even if the caller gives up.
                await transaction.CommitAsync(CancellationToken.None);
                _lastKnown = (entries[^1].Sequence, entries[^1].Hash);
            }

            // In a joined transaction the caller commits (or rolls back) later; the owner of that commit records
            // the new head (ExecuteAsync), so a rollback never looks like a truncated log.
            return recorded == 0 ? entries : entries[recorded..];
        }
        finally
        {
            if (transaction is not null)
            {
                await transaction.DisposeAsync(); // rolls back unless committed
            }
        }
    }

    /// <summary>
    /// Compares the entry this process last wrote or signed with what the database holds now. Returns the
    /// tampering event to record the first time they differ; afterwards no checkpoint is signed by this process.
    /// </summary>
    private async Task<AuditEvent?> CheckContinuityAsync(AdminDbContext db, long headSequence, string headHash, CancellationToken cancellationToken)
    {
        if (_continuityBroken is not null || _lastKnown is not { } known)
        {
            return null;
        }

        var found = known.Sequence == headSequence
            ? headHash
            : await db.AuditEntries.AsNoTracking().Where(e => e.Sequence == known.Sequence).Select(e => e.Hash).FirstOrDefaultAsync(cancellationToken);
        if (found == known.Hash)
        {
            return null;
        }

        _continuityBroken = found is null
            ? $"entry {known.Sequence}, written by this process, is gone (the log was truncated or restored from an older backup)"
            : $"entry {known.Sequence}, written by this process, now has another hash (the log was rewritten outside the portal)";
        _logger.LogCritical("Audit log tampering detected while running: {Reason}. No further checkpoints will be signed until the portal is restarted after investigation.", _continuityBroken);
        return new AuditEvent
        {
            Category = "audit",
            Action = "audit.tampering_detected",
            Outcome = AuditVocabulary.Failure,
            TargetType = "audit_entry",
            TargetId = known.Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture),
            Details = AuditDetails.Of(("reason", _continuityBroken), ("expectedHash", known.Hash), ("foundHash", found)),
        };
    }

    private static AuditEntry ToEntry(AuditEvent auditEvent, long sequence, string previousHash, string timestamp)
    {
        var entry = new AuditEntry
        {
            Sequence = sequence,
            Timestamp = timestamp,
            Product = auditEvent.Product,
            Category = auditEvent.Category,
            Action = auditEvent.Action,
            Outcome = auditEvent.Outcome,
            ActorType = auditEvent.Actor.Type,
            ActorId = auditEvent.Actor.Id,
            ActorName = auditEvent.Actor.Name,
            SourceIp = auditEvent.SourceIp,
            TargetType = auditEvent.TargetType,
            TargetId = auditEvent.TargetId,
            Details = AuditDetails.Serialize(auditEvent.Details),
            PreviousHash = previousHash,
        };
        entry.Hash = AuditHash.Compute(entry);
        return entry;
    }

    private static async Task LockChainAsync(AdminDbContext db, CancellationToken cancellationToken)
    {
        // SQLite needs nothing more: EF's transaction on Microsoft.Data.Sqlite is BEGIN IMMEDIATE (the write lock).
        if (db.Database.IsNpgsql())
        {
            await db.Database.ExecuteSqlRawAsync(PostgresLockSql, cancellationToken);
        }
    }

    private sealed class PendingAppend(IReadOnlyList<AuditEvent> events)
    {
        public IReadOnlyList<AuditEvent> Events { get; } = events;

        public TaskCompletionSource<IReadOnlyList<AuditEntry>> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
