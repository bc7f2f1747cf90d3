namespace CodeRaft.Admin.Features.Siem.Delivery;

/// <summary>
/// A sender whose transport has no application-level acknowledgment (syslog over TCP/TLS): bytes handed to TCP
/// just before the receiver went away can be lost although the send "succeeded". Such a sender reports when it
/// saw its connection lost, and the engine re-sends the batches of the moments before (ADR-012): duplicates, which
/// the receiver removes by sequence, instead of gaps.
/// </summary>
public interface ISiemUnacknowledgedSender
{
    /// <summary>When the connection was found lost since the last call (receiver closed/reset it, or a write failed); null if not.</summary>
    DateTimeOffset? TakeConnectionLostAt();
}
