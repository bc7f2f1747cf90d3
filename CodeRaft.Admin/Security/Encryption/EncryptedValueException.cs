namespace CodeRaft.Admin.Security.Encryption;

/// <summary>An encrypted value that cannot be decrypted. The message says why in plain words and never contains key material.</summary>
public sealed class EncryptedValueException(string message, Exception? inner = null) : Exception(message, inner);
