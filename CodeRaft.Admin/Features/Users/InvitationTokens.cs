using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace CodeRaft.Admin.Features.Users;

/// <summary>
/// Local-mode activation links: 32 random bytes, base64url (43 characters). Only the SHA-256 (hex) is stored, and a
/// link is found by that hash, so neither the stored value nor the lookup's timing says anything about a valid
/// token; 256 random bits need no slow hash.
/// </summary>
public static class InvitationTokens
{
    public const string ActivationPath = "/account/activate";
    private const int TokenBytes = 32;
    private const int TokenLength = 43;

    public static (string Token, string Hash) Create()
    {
        var token = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(TokenBytes));
        return (token, Hash(token));
    }

    public static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    /// <summary>The shape of a token (so nonsense never reaches the store); says nothing about whether it is valid.</summary>
    public static bool IsWellFormed(string? token) =>
        token is { Length: TokenLength } && Base64Url.IsValid(token.AsSpan(), out var length) && length == TokenBytes;

    /// <summary>The link to hand to the invitee, relative to the portal's address.</summary>
    public static string Link(string token) => $"{ActivationPath}?token={token}";
}
