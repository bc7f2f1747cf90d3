using System.CommandLine;
using System.Globalization;
using CodeRaft.Admin.Features.ApiKeys;
using CodeRaft.Admin.Features.Users;

namespace CodeRaft.Admin.Cli;

/// <summary>
/// <c>apikey create</c>, <c>apikey revoke</c>, <c>apikey list</c> (CONTRACTS §2 and §5; docs/cli.md). They run
/// <see cref="ApiKeyManagementCore"/> as <see cref="UserOperator.HostCli"/>: the same validation as the console, every
/// change audited with actor type <c>cli</c>. The new key is printed once, alone on the last line of stdout, and is
/// never logged. Exit codes: 0 done (or nothing to do), 2 bad input or unknown id — one sentence on stderr, nothing changed.
/// </summary>
internal static class ApiKeyCommands
{
    public static Command Create() => Create(async ct =>
    {
        var host = await CliHost.StartAsync(ct);
        return (host.Services, host);
    });

    internal static Command Create(UsersCommands.ServicesFactory start)
    {
        var name = new Option<string>("--name") { Description = "What the key is for, e.g. the system that uses it (1–100 characters).", Required = true };
        var scopes = new Option<string>("--scopes")
        {
            Description = "Comma-separated: " + string.Join(", ", ApiKeyScopes.All) + ".",
            Required = true,
        };
        var days = new Option<int>("--expires-in-days")
        {
            Description = "Days until the key expires (1–365).",
            DefaultValueFactory = _ => ApiKeyInputValidator.DefaultExpiryDays,
        };
        var rate = new Option<int>("--rate-limit-per-minute")
        {
            Description = "Requests per minute the key may make (1–100,000).",
            DefaultValueFactory = _ => ApiKeyInputValidator.DefaultRateLimitPerMinute,
        };
        var create = new Command("create", "Create an API key. The key is printed once, alone on the last line; it cannot be retrieved later.")
        {
            name, scopes, days, rate,
        };
        create.SetAction((parse, ct) => CreateAsync(start, new ApiKeyInput
        {
            Name = parse.GetValue(name),
            Scopes = ParseScopes(parse.GetValue(scopes)),
            ExpiresInDays = parse.GetValue(days),
            RateLimitPerMinute = parse.GetValue(rate),
        }, parse.InvocationConfiguration.Output, ct));

        var id = new Option<string>("--id") { Description = "The key's id (see apikey list).", Required = true };
        var revoke = new Command("revoke", "Revoke an API key; it is refused from then on.") { id };
        revoke.SetAction((parse, ct) => RevokeAsync(start, parse.GetValue(id), parse.InvocationConfiguration.Output, ct));

        var list = new Command("list", "List the API keys: id, identifier, name, scopes, created, expires, last use, rate limit, state.");
        list.SetAction((parse, ct) => ListAsync(start, parse.InvocationConfiguration.Output, ct));

        return new Command("apikey", "Create, revoke and list API keys.") { create, revoke, list };
    }

    private static async Task<int> CreateAsync(UsersCommands.ServicesFactory start, ApiKeyInput input, TextWriter output, CancellationToken cancellationToken)
    {
        // Checked before anything is opened: a typo touches nothing (the core validates again).
        var validation = new ApiKeyInputValidator().Validate(input);
        if (!validation.IsValid)
        {
            throw new CliUsageException(validation.Errors[0].ErrorMessage);
        }

        var (services, lifetime) = await start(cancellationToken);
        await using (lifetime)
        {
            var result = await services.GetRequiredService<ApiKeyManagementCore>().CreateAsync(UserOperator.HostCli, input, cancellationToken);
            if (result.Created is not { } created)
            {
                throw new CliUsageException(result.Message);
            }

            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"Created API key {created.Identifier} (id {created.Id}) with scopes {string.Join(",", ApiKeyScopes.Parse(ApiKeyScopes.Format(input.Scopes)))}, {input.RateLimitPerMinute} requests per minute, expiring {created.ExpiresAt:yyyy-MM-dd HH:mm} UTC."));
            await output.WriteLineAsync("Store the key now: it is shown only this once and cannot be retrieved later.");
            await output.WriteLineAsync(created.Key);
            return 0;
        }
    }

    private static async Task<int> RevokeAsync(UsersCommands.ServicesFactory start, string? idText, TextWriter output, CancellationToken cancellationToken)
    {
        if (!Guid.TryParseExact(idText?.Trim(), "D", out var id))
        {
            throw new CliUsageException("--id must be the id of an API key, as apikey list shows it (e.g. 0193a1b2-…).");
        }

        var (services, lifetime) = await start(cancellationToken);
        await using (lifetime)
        {
            var result = await services.GetRequiredService<ApiKeyManagementCore>().RevokeAsync(UserOperator.HostCli, id, cancellationToken);
            if (result.Outcome == ApiKeyOutcome.NotFound)
            {
                throw new CliUsageException($"No API key has the id {id}.");
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
            var keys = await services.GetRequiredService<ApiKeyManagementCore>().ListAsync(cancellationToken);
            var now = services.GetRequiredService<TimeProvider>().GetUtcNow().UtcDateTime;
            string[] header = ["ID", "IDENTIFIER", "NAME", "SCOPES", "CREATED", "CREATED BY", "EXPIRES", "LAST USED", "FROM", "PER MINUTE", "STATE"];
            var rows = keys.Select(k => new[]
            {
                k.Id.ToString(),
                k.Identifier,
                UsersCommands.Printable(k.Name),
                string.Join(",", k.ScopeList),
                Time(k.CreatedAt),
                UsersCommands.Printable(k.CreatedBy),
                Time(k.ExpiresAt),
                k.LastUsedAt is { } used ? Time(used) : "never",
                UsersCommands.Printable(k.LastUsedFrom ?? "-"),
                k.RateLimitPerMinute.ToString(CultureInfo.InvariantCulture),
                k.RevokedAt is not null ? "revoked" : k.ExpiresAt <= now ? "expired" : "active",
            }).ToList();
            await CliTable.WriteAsync(output, header, rows);

            return 0;
        }
    }

    /// <summary>"a,b" → ["a", "b"]; empty items are dropped, so "a," is just "a". Unknown names are left for the validator.</summary>
    private static string[] ParseScopes(string? text) =>
        (text ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static string Time(DateTime value) => value.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) + " UTC";
}
