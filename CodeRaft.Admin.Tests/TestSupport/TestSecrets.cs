using System.Security.Cryptography;

namespace CodeRaft.Admin.Tests.TestSupport;

public static class TestSecrets
{
    public static string NewMasterSecret() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(24));
}
