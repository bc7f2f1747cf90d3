using System.CommandLine;
using System.Globalization;
using CodeRaft.Admin.Features.Siem;
using CodeRaft.Admin.Features.Siem.Delivery;
using CodeRaft.Admin.Features.Siem.Management;
using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CodeRaft.Admin.Cli;

/// <summary>
/// <c>siem list</c>, <c>siem add</c>, <c>siem test</c>, <c>siem remove</c> (CONTRACTS §2; docs/cli.md, docs/siem.md).
/// They run <see cref="SiemManagementCore"/> as <see cref="UserOperator.HostCli"/>: the console's validation, every
/// change audited as <c>cli</c>. The token is never echoed. <c>add</c> prints the new id alone on its last line.
/// Exit codes: 0 done, 1 the test event was not accepted, 2 bad input or unknown id (one sentence, nothing changed).
/// </summary>
internal static class SiemCommands
{
    public static Command Create() => Create(async ct =>
    {
        var host = await CliHost.StartAsync(ct);
        return (host.Services, host);
    });

    internal static Command Create(UsersCommands.ServicesFactory start)
    {
        var name = new Option<string>("--name") { Description = "A name for the target (1–100 characters).", Required = true };
        var type = new Option<string>("--type") { Description = string.Join("|", SiemTargetInputValidator.TypeNames), Required = true };
        var endpoint = new Option<string>("--endpoint") { Description = "host:port for syslog; an https URL for splunk-hec and webhook.", Required = true };
        var format = new Option<string?>("--format") { Description = "rfc5424|cef|leef (syslog; default rfc5424). HEC and webhooks send JSON." };
        var token = new Option<string?>("--token") { Description = "The HEC token, or the webhook signing secret (whsec_…). Never printed." };
        var tokenFile = new Option<string?>("--token-file") { Description = "A file holding the token or secret instead of --token: keeps it out of the process list and the shell history." };
        var add = new Command("add", "Add a SIEM target (enabled). Prints the new target's id on the last line.") { name, type, endpoint, format, token, tokenFile };
        add.SetAction((parse, ct) => AddAsync(start, new SiemTargetInput
        {
            Name = parse.GetValue(name),
            Type = parse.GetValue(type),
            Endpoint = parse.GetValue(endpoint),
            Format = parse.GetValue(format),
            Secret = Secret(parse.GetValue(token), parse.GetValue(tokenFile)),
        }, parse.InvocationConfiguration.Output, ct));

        var list = new Command("list", "List the SIEM targets: id, name, type, endpoint, format, filters, enabled, cursor.");
        list.SetAction((parse, ct) => ListAsync(start, parse.InvocationConfiguration.Output, ct));

        var testId = new Option<string>("--id") { Description = "The target's id (see siem list).", Required = true };
        var test = new Command("test", "Send one test event (not an audit entry) to a target and report whether it was accepted.") { testId };
        test.SetAction((parse, ct) => TestAsync(start, parse.GetValue(testId), parse.InvocationConfiguration.Output, ct));

        var removeId = new Option<string>("--id") { Description = "The target's id (see siem list).", Required = true };
        var remove = new Command("remove", "Remove a SIEM target and its stored credentials.") { removeId };
        remove.SetAction((parse, ct) => RemoveAsync(start, parse.GetValue(removeId), parse.InvocationConfiguration.Output, ct));

        return new Command("siem", "Add, list, test and remove SIEM targets.") { list, add, test, remove };
    }

    /// <summary>The secret from --token or from the file --token-file names (first line, surrounding whitespace ignored).</summary>
    private static string? Secret(string? token, string? file)
    {
        if (file is null)
        {
            return token;
        }

        if (token is not null)
        {
            throw new CliUsageException("Give the secret with --token or with --token-file, not both.");
        }

        try
        {
            var info = new FileInfo(file);
            if (!info.Exists || info.Length > 8 * 1024)
            {
                throw new CliUsageException(info.Exists ? $"--token-file: {UsersCommands.Printable(file)} is larger than 8 KiB, so it holds no token." : $"--token-file: {UsersCommands.Printable(file)} does not exist.");
            }

            return File.ReadAllText(file).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliUsageException($"--token-file: {UsersCommands.Printable(file)} cannot be read.");
        }
    }

    private static async Task<int> AddAsync(UsersCommands.ServicesFactory start, SiemTargetInput input, TextWriter output, CancellationToken cancellationToken)
    {
        // Checked before anything is opened: a typo touches nothing (the core validates again).
        var validation = new SiemTargetInputValidator().Validate(input);
        if (!validation.IsValid)
        {
            throw new CliUsageException(Option(validation.Errors[0].PropertyName) + validation.Errors[0].ErrorMessage);
        }

        var (services, lifetime) = await start(cancellationToken);
        await using (lifetime)
        {
            var result = await services.GetRequiredService<SiemManagementCore>().AddAsync(UserOperator.HostCli, input, cancellationToken);
            if (result.Id is not { } id || !result.Succeeded)
            {
                throw new CliUsageException(UsersCommands.Printable(result.Message));
            }

            await output.WriteLineAsync(UsersCommands.Printable(result.Message));
            await output.WriteLineAsync(id.ToString());
            return 0;
        }
    }

    private static async Task<int> ListAsync(UsersCommands.ServicesFactory start, TextWriter output, CancellationToken cancellationToken)
    {
        var (services, lifetime) = await start(cancellationToken);
        await using (lifetime)
        {
            var targets = await services.GetRequiredService<SiemManagementCore>().ListAsync(cancellationToken);
            string[] header = ["ID", "NAME", "TYPE", "ENDPOINT", "FORMAT", "FILTERS", "ENABLED", "CURSOR"];
            var rows = targets.Select(t => new[]
            {
                t.Id.ToString(),
                UsersCommands.Printable(t.Name),
                t.Type.ToText(),
                UsersCommands.Printable(t.Endpoint),
                t.Format.ToText(),
                UsersCommands.Printable(t.Filters),
                t.Enabled ? "yes" : "no",
                t.Cursor.ToString(CultureInfo.InvariantCulture),
            }).ToList();
            await CliTable.WriteAsync(output, header, rows);
            return 0;
        }
    }

    private static async Task<int> TestAsync(UsersCommands.ServicesFactory start, string? idText, TextWriter output, CancellationToken cancellationToken)
    {
        var id = ParseId(idText);
        var (services, lifetime) = await start(cancellationToken);
        await using (lifetime)
        {
            var contexts = services.GetRequiredService<IDbContextFactory<AdminDbContext>>();
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            var target = await db.SiemTargets.AsNoTracking().SingleOrDefaultAsync(t => t.Id == id, cancellationToken)
                ?? throw new CliUsageException($"No SIEM target has the id {id}.");

            // No delivery engine runs in the CLI process: build the target's sender and send one synthetic record.
            var timeout = services.GetService<IOptions<SiemDeliveryOptions>>()?.Value.SendTimeout ?? TimeSpan.FromSeconds(15);
            var result = services.GetService<ISiemSenderFactory>() is { } senders
                ? await SiemTestEvent.SendAsync(senders, target, services.GetRequiredService<TimeProvider>(), timeout, cancellationToken)
                : throw new CliUsageException("This build has no SIEM senders, so no test event can be sent.");
            var line = string.Create(CultureInfo.InvariantCulture, $"{(result.Succeeded ? "OK" : "FAILED")}: {UsersCommands.Printable(result.Message)}");
            if (!result.Succeeded)
            {
                throw new CliRefusedException(line);
            }

            await output.WriteLineAsync(line);
            return 0;
        }
    }

    private static async Task<int> RemoveAsync(UsersCommands.ServicesFactory start, string? idText, TextWriter output, CancellationToken cancellationToken)
    {
        var id = ParseId(idText);
        var (services, lifetime) = await start(cancellationToken);
        await using (lifetime)
        {
            var result = await services.GetRequiredService<SiemManagementCore>().RemoveAsync(UserOperator.HostCli, id, cancellationToken);
            if (result.Outcome == SiemOutcome.NotFound)
            {
                throw new CliUsageException($"No SIEM target has the id {id}.");
            }

            await output.WriteLineAsync(UsersCommands.Printable(result.Message));
            return 0;
        }
    }

    private static Guid ParseId(string? text) => Guid.TryParseExact(text?.Trim(), "D", out var id) ? id
        : throw new CliUsageException("--id must be the id of a SIEM target, as siem list shows it (e.g. 0193a1b2-…).");

    /// <summary>Names the option a message is about, so the sentence says which one to fix.</summary>
    private static string Option(string property) => property switch
    {
        nameof(SiemTargetInput.Name) => "--name: ",
        nameof(SiemTargetInput.Type) => "--type: ",
        nameof(SiemTargetInput.Endpoint) => "--endpoint: ",
        nameof(SiemTargetInput.Format) => "--format: ",
        nameof(SiemTargetInput.Secret) => "--token: ",
        _ => "",
    };
}
