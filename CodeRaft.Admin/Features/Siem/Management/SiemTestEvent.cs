using System.Text.Json.Nodes;
using CodeRaft.Admin.Features.Audit;
using CodeRaft.Admin.Features.Audit.Chain;

namespace CodeRaft.Admin.Features.Siem.Management;

/// <summary>
/// The synthetic record "Send test event" sends when no delivery engine runs in the process (the CLI): not an audit
/// entry — sequence 0, an all-zero hash, action <c>siem.test</c> and <c>"test": true</c> in its details — so a
/// receiver can tell it apart and a verifier never mistakes it for part of the chain.
/// </summary>
public static class SiemTestEvent
{
    public const string Action = "siem.test";

    private static readonly string Zeros = new('0', 64);

    public static SiemRecord Create(SiemTarget target, AuditActor actor, DateTimeOffset now) => new(new AuditEntry
    {
        Sequence = 0,
        Timestamp = AuditHash.FormatTimestamp(now),
        Product = AuditVocabulary.Admin,
        Category = SiemManagementCore.Category,
        Action = Action,
        Outcome = AuditVocabulary.Success,
        ActorType = actor.Type,
        ActorId = actor.Id,
        ActorName = actor.Name,
        TargetType = SiemManagementCore.TargetType,
        TargetId = target.Id.ToString(),
        Details = new JsonObject { ["test"] = true, ["message"] = "Test event from CodeRaft Admin; not part of the audit chain." }.ToJsonString(),
        PreviousHash = Zeros,
        Hash = Zeros,
    }, null);

    /// <summary>
    /// Sends one test record through a sender built for <paramref name="target"/>; the outcome as the console shows it
    /// (the sender's message is safe to show: it never holds a secret).
    /// </summary>
    public static async Task<SiemTestResult> SendAsync(ISiemSenderFactory senders, SiemTarget target, AuditActor actor, TimeProvider time, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        try
        {
            await using var sender = senders.Create(target);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(15));
            await sender.SendAsync([Create(target, actor, time.GetUtcNow())], timeout.Token);
            return new SiemTestResult(true, "The receiver accepted the test event.", time.GetElapsedTime(started));
        }
        catch (SiemDeliveryException ex)
        {
            return new SiemTestResult(false, ex.Message, time.GetElapsedTime(started));
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new SiemTestResult(false, "The receiver did not answer within 15 seconds.", time.GetElapsedTime(started));
        }
    }
}
