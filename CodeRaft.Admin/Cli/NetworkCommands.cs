using System.CommandLine;
using System.Globalization;
using CodeRaft.Admin.Features.Network;
using CodeRaft.Admin.Features.Users;

namespace CodeRaft.Admin.Cli;

/// <summary>
/// <c>network allowlist list|add|remove|reset</c> (CONTRACTS §2; docs/cli.md). The break-glass path: an operator on
/// the host who locked everyone out of the console can fix the lists without a session. Runs
/// <see cref="NetworkAllowlistCore"/> as <see cref="UserOperator.HostCli"/> — the same validation as the console, every
/// change audited with actor type <c>cli</c>. A running portal picks the change up within
/// <see cref="NetworkAllowlist.PollInterval"/>. Exit codes: 0 done (or nothing to do), 2 bad input or unknown id.
/// </summary>
internal static class NetworkCommands
{
    public static Command Create() => Create(async ct =>
    {
        var host = await CliHost.StartAsync(ct);
        return (host.Services, host);
    });

    internal static Command Create(UsersCommands.ServicesFactory start)
    {
        var cidr = new Argument<string>("CIDR") { Description = "An address or range, e.g. 203.0.113.0/24 or 2001:db8::/32." };
        var scope = new Option<string>("--scope") { Description = "ui (the console) or api (the v1 API).", Required = true };
        var description = new Option<string>("--description") { Description = "What the range is, e.g. 'office VPN' (at most 200 characters)." };
        var add = new Command("add", "Add an address or range to the ui or api allowlist.") { cidr, scope, description };
        add.SetAction((parse, ct) => AddAsync(start, parse.GetValue(cidr), parse.GetValue(scope), parse.GetValue(description), parse.InvocationConfiguration.Output, ct));

        var id = new Argument<string>("ID") { Description = "The entry's id (see network allowlist list)." };
        var remove = new Command("remove", "Remove one entry.") { id };
        remove.SetAction((parse, ct) => RemoveAsync(start, parse.GetValue(id), parse.InvocationConfiguration.Output, ct));

        var reset = new Command("reset", "Break-glass: clear both lists, so every address may reach the console and the API again.");
        reset.SetAction((parse, ct) => RunAsync(start, parse.InvocationConfiguration.Output, (core, c) => core.ResetAsync(UserOperator.HostCli, c), ct));

        var list = new Command("list", "List both allowlists: id, scope, range, description, added, added by.");
        list.SetAction((parse, ct) => ListAsync(start, parse.InvocationConfiguration.Output, ct));

        var allowlist = new Command("allowlist", "The IP allowlists of the console (ui) and the API (api).") { list, add, remove, reset };
        return new Command("network", "Network settings.") { allowlist };
    }

    private static Task<int> AddAsync(UsersCommands.ServicesFactory start, string? cidr, string? scopeText, string? description, TextWriter output, CancellationToken cancellationToken)
    {
        if (!AllowlistScopes.TryParse(scopeText, out var scope))
        {
            throw new CliUsageException("--scope must be ui (the console) or api (the v1 API).");
        }

        // Checked before anything is opened: a typo touches nothing (the core validates again).
        var input = new AllowlistEntryInput { Cidr = cidr, Description = description };
        var validation = new AllowlistEntryInputValidator().Validate(input);
        if (!validation.IsValid)
        {
            throw new CliUsageException(validation.Errors[0].ErrorMessage);
        }

        return RunAsync(start, output, (core, ct) => core.AddAsync(UserOperator.HostCli, scope, input, ct), cancellationToken);
    }

    private static Task<int> RemoveAsync(UsersCommands.ServicesFactory start, string? idText, TextWriter output, CancellationToken cancellationToken)
    {
        if (!Guid.TryParseExact(idText?.Trim(), "D", out var id))
        {
            throw new CliUsageException("ID must be the id of an allowlist entry, as network allowlist list shows it.");
        }

        return RunAsync(start, output, (core, ct) => core.RemoveAsync(UserOperator.HostCli, id, ct), cancellationToken);
    }

    private static async Task<int> RunAsync(UsersCommands.ServicesFactory start, TextWriter output,
        Func<NetworkAllowlistCore, CancellationToken, Task<NetworkResult>> change, CancellationToken cancellationToken)
    {
        var (services, lifetime) = await start(cancellationToken);
        await using (lifetime)
        {
            var result = await change(services.GetRequiredService<NetworkAllowlistCore>(), cancellationToken);
            if (result.Outcome is NetworkOutcome.Invalid or NetworkOutcome.NotFound)
            {
                throw new CliUsageException(result.Message);
            }

            await output.WriteLineAsync(UsersCommands.Printable(result.Message));
            return 0;
        }
    }

    private static async Task<int> ListAsync(UsersCommands.ServicesFactory start, TextWriter output, CancellationToken cancellationToken)
    {
        var (services, lifetime) = await start(cancellationToken);
        await using (lifetime)
        {
            var entries = await services.GetRequiredService<NetworkAllowlistCore>().ListAsync(cancellationToken);
            foreach (var scope in new[] { AllowlistScope.Ui, AllowlistScope.Api })
            {
                if (!entries.Any(e => e.Scope == scope))
                {
                    await output.WriteLineAsync($"The {scope.ToText()} list is empty: every address is allowed.");
                }
            }

            string[] header = ["ID", "SCOPE", "RANGE", "DESCRIPTION", "ADDED", "ADDED BY"];
            var rows = entries.Select(e => new[]
            {
                e.Id.ToString(),
                e.Scope.ToText(),
                e.Cidr,
                UsersCommands.Printable(e.Description.Length == 0 ? "-" : e.Description),
                e.CreatedAt.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) + " UTC",
                UsersCommands.Printable(e.CreatedBy),
            }).ToList();
            if (rows.Count == 0)
            {
                return 0;
            }

            await CliTable.WriteAsync(output, header, rows);

            return 0;
        }
    }
}
