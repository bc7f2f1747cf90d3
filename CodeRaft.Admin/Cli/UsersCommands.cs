using System.CommandLine;
using System.Globalization;
using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;

namespace CodeRaft.Admin.Cli;

/// <summary>
/// <c>users invite</c>, <c>users list</c>, <c>users reset-mfa</c> (CONTRACTS §2; docs/cli.md). They run
/// <see cref="UserManagementCore"/> as <see cref="UserOperator.HostCli"/>: host access is the authority, so no step-up
/// and no permission matrix, but the same validation, last-Owner and seat rules as the console, and every change is
/// audited with actor type <c>cli</c>. Exit codes: 0 done (or nothing to do), 1 refused by a rule, 2 bad input —
/// one sentence on stderr, nothing changed.
/// </summary>
internal static class UsersCommands
{
    /// <summary>Where the commands get their services: the real <see cref="CliHost"/>, or a test's store.</summary>
    internal delegate Task<(IServiceProvider Services, IAsyncDisposable Lifetime)> ServicesFactory(CancellationToken cancellationToken);

    public static Command Create() => Create(async ct =>
    {
        var host = await CliHost.StartAsync(ct);
        return (host.Services, host);
    });

    internal static Command Create(ServicesFactory start)
    {
        var email = new Option<string>("--email") { Description = "E-mail address or user principal name (UPN).", Required = true };
        var role = new Option<string>("--role") { Description = "Owner, Administrator, Auditor or Viewer.", Required = true };
        var name = new Option<string>("--name") { Description = "Display name (optional)." };
        var invite = new Command("invite", "Invite a user. Local mode prints the one-time activation link on the last line.") { email, role, name };
        invite.SetAction((parse, ct) => InviteAsync(start, parse.GetValue(email), parse.GetValue(role), parse.GetValue(name), parse.InvocationConfiguration.Output, ct));

        var list = new Command("list", "List the users: e-mail, name, role, status, MFA enrolled, last sign-in.");
        list.SetAction((parse, ct) => ListAsync(start, parse.InvocationConfiguration.Output, ct));

        var resetEmail = new Option<string>("--email") { Description = "The user's e-mail address or user principal name.", Required = true };
        var reason = new Option<string>("--reason") { Description = "Why (e.g. a ticket number); goes into the audit log." };
        var resetMfa = new Command("reset-mfa", "Break-glass: reset a user's two-factor authentication (also an Owner's); they enroll again at the next sign-in.")
        {
            resetEmail, reason,
        };
        resetMfa.SetAction((parse, ct) => ResetMfaAsync(start, parse.GetValue(resetEmail), parse.GetValue(reason), parse.InvocationConfiguration.Output, ct));

        return new Command("users", "Invite and list users; reset a user's two-factor authentication.") { invite, list, resetMfa };
    }

    private static async Task<int> InviteAsync(ServicesFactory start, string? email, string? roleText, string? displayName, TextWriter output, CancellationToken cancellationToken)
    {
        // Checked before anything is opened: a typo in the role touches nothing.
        var role = ParseRole(roleText);
        var (services, lifetime) = await start(cancellationToken);
        await using (lifetime)
        {
            var result = await services.GetRequiredService<UserManagementCore>().InviteAsync(UserOperator.HostCli,
                new InviteUserInput { Email = email, DisplayName = displayName, Role = role }, cancellationToken);
            if (!result.Succeeded)
            {
                return Fail(result, result.Errors.Count > 0 ? result.Errors[0] : null);
            }

            var invited = Printable(InviteUserInputValidator.Trimmed(email));
            if (result.ActivationLink is null)
            {
                await output.WriteLineAsync($"Invited {invited} as {role}: they can now sign in with your organization's account using this address.");
                return 0;
            }

            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"Invited {invited} as {role}. Send them this activation link, prefixed with the portal's address, over a channel you trust; it works once, until {result.ActivationLinkExpiresAt:yyyy-MM-dd HH:mm} UTC:"));
            await output.WriteLineAsync(result.ActivationLink);
            return 0;
        }
    }

    private static async Task<int> ListAsync(ServicesFactory start, TextWriter output, CancellationToken cancellationToken)
    {
        var (services, lifetime) = await start(cancellationToken);
        await using (lifetime)
        {
            await using var db = await services.GetRequiredService<IDbContextFactory<AdminDbContext>>().CreateDbContextAsync(cancellationToken);
            // TotpEnabledAt tells enrollment without decrypting anyone's key.
            var users = await db.Users.AsNoTracking()
                .OrderBy(u => u.NormalizedEmail).ThenBy(u => u.NormalizedUserName)
                .Select(u => new { u.Email, u.UserName, u.DisplayName, u.Role, u.Status, u.TotpEnabledAt, u.LastSignInAt })
                .ToListAsync(cancellationToken);
            string[] header = ["EMAIL", "NAME", "ROLE", "STATUS", "MFA", "LAST SIGN-IN"];
            var rows = users.Select(u => new[]
            {
                Printable(u.Email ?? u.UserName ?? ""),
                Printable(u.DisplayName),
                u.Role.ToString(),
                u.Status.ToString(),
                u.TotpEnabledAt is null ? "no" : "yes",
                u.LastSignInAt is { } at ? at.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) + " UTC" : "never",
            }).ToList();
            await CliTable.WriteAsync(output, header, rows);

            return 0;
        }
    }

    private static async Task<int> ResetMfaAsync(ServicesFactory start, string? email, string? reason, TextWriter output, CancellationToken cancellationToken)
    {
        var address = InviteUserInputValidator.Trimmed(email);
        if (address.Length is 0 or > InviteUserInputValidator.MaxEmailLength)
        {
            throw new CliUsageException("--email must be the e-mail address or user principal name of an existing user.");
        }

        var (services, lifetime) = await start(cancellationToken);
        await using (lifetime)
        {
            Guid? userId;
            await using (var db = await services.GetRequiredService<IDbContextFactory<AdminDbContext>>().CreateDbContextAsync(cancellationToken))
            {
                var normalized = address.ToUpperInvariant();
                userId = await db.Users.AsNoTracking().Where(u => u.NormalizedEmail == normalized || u.NormalizedUserName == normalized)
                    .Select(u => (Guid?)u.Id).FirstOrDefaultAsync(cancellationToken);
            }

            // An unknown address is a usage error: the operator mistyped it, and nothing was changed.
            if (userId is not { } id)
            {
                throw new CliUsageException($"No user has the e-mail address or user name {Printable(address)}.");
            }

            var result = await services.GetRequiredService<UserManagementCore>().ResetMfaAsync(UserOperator.HostCli, id, reason, cancellationToken);
            if (result.Outcome is not (UserOperationOutcome.Succeeded or UserOperationOutcome.Unchanged))
            {
                return Fail(result, null);
            }

            await output.WriteLineAsync(result.Succeeded
                ? $"Reset two-factor authentication of {Printable(address)}: their sessions end, and they set it up again at their next sign-in."
                : $"{Printable(address)} has not set up two-factor authentication; nothing was changed.");
            return 0;
        }
    }

    /// <summary>Bad input (exit 2) or refused by a rule (exit 1): one sentence on stderr either way.</summary>
    private static int Fail(UserOperationResult result, string? firstError) => result.Outcome switch
    {
        UserOperationOutcome.Denied => throw new CliRefusedException(result.Message),
        _ => throw new CliUsageException(firstError ?? result.Message),
    };

    private static AdminRole ParseRole(string? text)
    {
        // Names only: Enum.TryParse would also take "0" or "Owner,Viewer".
        foreach (var role in Enum.GetValues<AdminRole>())
        {
            if (string.Equals(text?.Trim(), role.ToString(), StringComparison.OrdinalIgnoreCase))
            {
                return role;
            }
        }

        throw new CliUsageException("--role must be one of Owner, Administrator, Auditor, Viewer.");
    }

    /// <summary>
    /// What a terminal may safely show: control characters (escape sequences), bidirectional overrides and broken
    /// UTF-16 become '?'. Names are validated when the console creates them, but providers fill some.
    /// </summary>
    internal static string Printable(string? value)
    {
        var chars = (value ?? "").ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            var pair = char.IsHighSurrogate(chars[i]) && i + 1 < chars.Length && char.IsLowSurrogate(chars[i + 1]);
            if (pair)
            {
                i++;
            }
            else if (char.IsControl(chars[i]) || char.IsSurrogate(chars[i]) || chars[i] is >= '\u202A' and <= '\u202E' or >= '\u2066' and <= '\u2069')
            {
                chars[i] = '?';
            }
        }

        return new string(chars);
    }
}
