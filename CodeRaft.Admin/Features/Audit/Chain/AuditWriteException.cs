namespace CodeRaft.Admin.Features.Audit.Chain;

/// <summary>The audit entry could not be committed, so neither was the change it records (fail closed).</summary>
public sealed class AuditWriteException(string message, Exception? inner = null) : Exception(message, inner)
{
    public const string FailClosedMessage =
        "The change was not saved because its audit entry could not be written. Nothing was changed; try again or check the server log.";
}
