namespace CodeRaft.Admin.TestIdentityProvider.Tests;

internal static class TestUsers
{
    public static readonly TestUser Alice = new("alice", "Alice Admin", "alice@coderaft.test")
    {
        Roles = ["admin", "auditor"],
        ObjectId = "0f6d6c2e-3a51-4c1b-9d1e-2b8f3f4a5c6d",
    };

    public static readonly TestUser Bob = new("bob", "Bob Viewer", "bob@coderaft.test") { Roles = ["viewer"] };
}
