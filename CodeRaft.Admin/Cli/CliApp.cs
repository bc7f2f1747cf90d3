using System.CommandLine;
using CodeRaft.Admin.Infrastructure.Hosting;

namespace CodeRaft.Admin.Cli;

/// <summary>
/// The operations CLI (CONTRACTS §2). Exit codes: 0 success, 1 the check failed, 2 usage or configuration error.
/// Errors are one sentence on stderr; results go to stdout.
/// </summary>
public static class CliApp
{
    /// <summary>The top-level command groups. Each feature adds its group here.</summary>
    private static readonly Func<Command>[] _groups =
    [
        KeysCommands.Create,
        AuditCommands.Create,
        UsersCommands.Create,
        ApiKeyCommands.Create,
        NetworkCommands.Create,
        SiemCommands.Create,
        LicenseCommands.Create,
    ];

    /// <summary>
    /// A first argument that is a word (not an option like <c>--urls</c>, not a <c>key=value</c> setting) is a
    /// command. A mistyped command therefore fails with exit code 2 instead of silently starting the server.
    /// </summary>
    public static bool IsCommand(string[] args) =>
        args.Length > 0 && (args[0] is "--help" or "-h" or "-?" || (!args[0].StartsWith('-') && !args[0].Contains('=', StringComparison.Ordinal)));

    public static Task<int> RunAsync(string[] args, TextWriter? output = null, TextWriter? error = null) =>
        RunAsync(args, output ?? Console.Out, error ?? Console.Error, [.. _groups.Select(group => group())]);

    /// <summary>The same with given command groups (tests run a group against their own store).</summary>
    internal static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, IReadOnlyList<Command> groups)
    {
        var root = new RootCommand("CodeRaft.Admin operations. Run without a command to start the portal.");
        foreach (var group in groups)
        {
            root.Subcommands.Add(group);
        }

        if (args is ["help", .. var rest])
        {
            args = [.. rest, "--help"];
        }

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            await error.WriteLineAsync(Sentence(parsed.Errors[0].Message) + " Run with --help for usage.");
            return AdminStartupException.ConfigurationError;
        }

        try
        {
            return await parsed.InvokeAsync(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
        }
        catch (AdminStartupException ex)
        {
            await error.WriteLineAsync(ex.Message);
            return ex.ExitCode;
        }
        catch (Features.Licenses.LicenseConfigurationException ex)
        {
            // A bad Licensing:TrustedPublicKeyFiles surfaces when a command first needs the license keys.
            await error.WriteLineAsync(ex.Message);
            return AdminStartupException.ConfigurationError;
        }
        catch (CliUsageException ex)
        {
            await error.WriteLineAsync(ex.Message);
            return AdminStartupException.ConfigurationError;
        }
        catch (CliRefusedException ex)
        {
            await error.WriteLineAsync(ex.Message);
            return AdminStartupException.CheckFailed;
        }
        catch (OperationCanceledException)
        {
            await error.WriteLineAsync("Cancelled.");
            return AdminStartupException.CheckFailed;
        }
        catch (Exception ex) when (ex is System.Data.Common.DbException or Microsoft.EntityFrameworkCore.DbUpdateException or TimeoutException or IOException)
        {
            // The store (or the disk) failed mid-command, e.g. SQLite busy beyond its timeout or PostgreSQL gone: one
            // sentence, no stack trace. Every change runs in one transaction with its audit entry: never half-written.
            await error.WriteLineAsync($"The command could not finish because the store could not be used: {Sentence(ex.GetBaseException().Message)} A change commits together with its audit entry or not at all.");
            return AdminStartupException.ConfigurationError;
        }
    }

    private static string Sentence(string message)
    {
        message = message.Trim();
        return message.EndsWith('.') ? message : message + ".";
    }
}

/// <summary>Bad input to a command: printed as one sentence, exit code 2, nothing changed.</summary>
public sealed class CliUsageException(string message) : Exception(message);

/// <summary>Valid input refused by a rule (e.g. no free seats): printed as one sentence, exit code 1, nothing changed.</summary>
public sealed class CliRefusedException(string message) : Exception(message);
