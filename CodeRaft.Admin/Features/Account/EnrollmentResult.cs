using System.Text;

namespace CodeRaft.Admin.Features.Account;

public enum EnrollmentOutcome
{
    Activated,
    InvalidCode,
    AlreadyEnrolled,
    EnrollmentExpired,
    UserNotFound,
}

/// <summary>
/// The answer to an activation attempt. <see cref="RecoveryCodes"/> holds the plaintext codes exactly once, on
/// success; they exist nowhere else (the store keeps hashes), so the caller shows them and then drops the result.
/// </summary>
public sealed record EnrollmentResult(EnrollmentOutcome Outcome, string Message, IReadOnlyList<string> RecoveryCodes)
{
    public bool Succeeded => Outcome == EnrollmentOutcome.Activated;

    public static EnrollmentResult Refused(EnrollmentOutcome outcome, string message) => new(outcome, message, []);

    // The generated ToString would print the codes into any log line or exception message that formats the result.
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append("Outcome = ").Append(Outcome).Append(", Message = ").Append(Message)
            .Append(", RecoveryCodes = [").Append(RecoveryCodes.Count).Append(" hidden]");
        return true;
    }
}
