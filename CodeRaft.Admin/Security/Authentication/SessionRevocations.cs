namespace CodeRaft.Admin.Security.Authentication;

/// <summary>
/// Tells the open circuits of this process that a user's sessions changed (disabled, role changed, MFA reset,
/// "sign out everywhere"). Call <see cref="Revoke"/> after the change has committed: each circuit of that user
/// re-checks the store at once instead of at its next 30-second revalidation. The 30-second loop stays as the
/// backstop for changes made by another process (a second portal instance on PostgreSQL, or the CLI).
/// </summary>
public sealed class SessionRevocations
{
    public event Action<Guid>? Revoked;

    public void Revoke(Guid userId) => Revoked?.Invoke(userId);
}
