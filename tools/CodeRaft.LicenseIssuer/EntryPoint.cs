namespace CodeRaft.LicenseIssuer;

/// <summary>
/// Not top-level statements: those would add a global <c>Program</c> type that clashes with the portal's own
/// <c>Program</c> in the test project, which references both.
/// </summary>
internal static class EntryPoint
{
    public static int Main(string[] args) => IssuerCli.Run(args, Console.Out, Console.Error);
}
