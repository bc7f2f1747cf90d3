using CodeRaft.Admin.Features.Audit.Chain;

namespace CodeRaft.Admin.Features.Audit.Checkpoints;

public sealed class AuditOptions
{
    /// <summary>How often a checkpoint of the head is signed, even when nothing was appended (Audit:CheckpointInterval).</summary>
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromMinutes(5);
}

/// <summary>
/// Records the portal's own life in the chain and signs a checkpoint of the head every interval, also when
/// idle: a truncated tail then contradicts a signed checkpoint, and a silent gap in checkpoints shows when the
/// portal (or its checkpoints) stopped.
/// </summary>
public sealed class AuditCheckpointService(AuditWriter writer, TimeProvider time, Microsoft.Extensions.Options.IOptions<AuditOptions> options,
    ILogger<AuditCheckpointService> logger, StartupConfigurationAudit? configurationAudit = null) : BackgroundService
{
    private PeriodicTimer? _timer;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // Created here, not in ExecuteAsync (which starts on the thread pool), so the first interval counts from start-up.
        _timer = new PeriodicTimer(options.Value.CheckpointInterval, time);
        var events = new List<AuditEvent>
        {
            new()
            {
                Category = "system",
                Action = "system.started",
                Details = AuditDetails.Of(
                    ("version", typeof(AuditCheckpointService).Assembly.GetName().Version?.ToString()),
                    ("configuration", configurationAudit?.Current())),
            },
        };
        if (configurationAudit is not null && await configurationAudit.ChangeSincePreviousStartAsync(cancellationToken) is { } change)
        {
            events.Add(change);
        }

        await writer.AppendBatchAsync(events, cancellationToken);
        await writer.WriteCheckpointAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            await writer.AppendAsync(new AuditEvent { Category = "system", Action = "system.stopped" }, cancellationToken);
            await writer.WriteCheckpointAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogError(ex, "Could not record the shutdown in the audit log");
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = _timer!;
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await writer.WriteCheckpointAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The next tick retries; the verifier reports a checkpoint gap if this persists.
                logger.LogError(ex, "Could not write the periodic audit checkpoint");
            }
        }
    }
}
