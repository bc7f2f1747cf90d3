using System.CommandLine;
using CodeRaft.Admin.Features.Audit.Chain;
using CodeRaft.Admin.Security.Encryption;

namespace CodeRaft.Admin.Cli;

/// <summary><c>keys rotate-master-secret</c>: re-wraps the data keys under CODERAFT_NEW_MASTER_SECRET.</summary>
internal static class KeysCommands
{
    public static Command Create()
    {
        var rotate = new Command("rotate-master-secret",
            $"Re-wrap the data keys under a new master secret read from {MasterSecretProvider.NewSecretEnvironmentVariable}. Values are not re-encrypted.");
        rotate.SetAction(RotateAsync);
        return new Command("keys", "Manage the encryption keys.") { rotate };
    }

    private static async Task<int> RotateAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var newSecret = Environment.GetEnvironmentVariable(MasterSecretProvider.NewSecretEnvironmentVariable);
        if (string.IsNullOrWhiteSpace(newSecret))
        {
            throw new CliUsageException($"Set {MasterSecretProvider.NewSecretEnvironmentVariable} to the new master secret.");
        }

        newSecret = MasterSecretProvider.Validate(newSecret, MasterSecretProvider.NewSecretEnvironmentVariable);
        await using var host = await CliHost.StartAsync(cancellationToken);
        if (newSecret == host.MasterSecret.Value)
        {
            throw new CliUsageException("The new master secret is the same as the current one.");
        }

        var writer = host.Services.GetRequiredService<AuditWriter>();
        var count = await host.Services.GetRequiredService<KeyRingStore>().RotateMasterSecretAsync(host.MasterSecret.Value, newSecret,
            (db, keys) => writer.SaveChangesAsync(db, new AuditEvent
            {
                Category = "system",
                Action = "keys.master_secret_rotated",
                Actor = AuditActor.Cli,
                TargetType = "keyring",
                Details = AuditDetails.Of(("dataKeys", keys), ("source", host.MasterSecret.Source.ToString())),
            }, cancellationToken),
            cancellationToken);

        // The development secret file is the product's own; keep it in step. Other sources are the operator's.
        var output = parse.InvocationConfiguration.Output;
        if (host.MasterSecret.Source == MasterSecretSource.DevelopmentFile)
        {
            MasterSecretProvider.WriteSecretFile(host.MasterSecret.FilePath!, newSecret);
            await output.WriteLineAsync($"Updated the development secret file {host.MasterSecret.FilePath}.");
        }
        else
        {
            await output.WriteLineAsync($"Now replace the master secret in {host.MasterSecret.Source switch
            {
                MasterSecretSource.File => host.MasterSecret.FilePath,
                _ => MasterSecretProvider.EnvironmentVariable,
            }} with the new one before the next start; the old secret no longer unlocks this installation.");
        }

        await output.WriteLineAsync($"Re-wrapped {count} data key(s) under the new master secret.");
        return 0;
    }
}
