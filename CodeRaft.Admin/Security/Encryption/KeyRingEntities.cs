using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace CodeRaft.Admin.Security.Encryption;

/// <summary>The single row describing how the KEK is derived (table <c>keyring</c>). The secret itself is never stored.</summary>
public sealed class KeyRingRecord
{
    public const int SingletonId = 1;

    public int Id { get; set; } = SingletonId;
    public string Kdf { get; set; } = KeyEncryptionKey.Algorithm;
    public int Iterations { get; set; } = KeyEncryptionKey.Iterations;
    public byte[] Salt { get; set; } = [];
    public byte[] KeyCheck { get; set; } = [];
    public DateTime CreatedAt { get; set; }
    public DateTime? RotatedAt { get; set; }
}

/// <summary>A data key wrapped by the KEK (table <c>data_keys</c>). Rotating the master secret re-wraps these only.</summary>
public sealed class DataKeyRecord
{
    public int Id { get; set; }
    public byte[] WrappedKey { get; set; } = [];
    public bool IsActive { get; set; }
    public DateTime CreatedAt { get; set; }
}

internal sealed class KeyRingRecordConfiguration : IEntityTypeConfiguration<KeyRingRecord>
{
    public void Configure(EntityTypeBuilder<KeyRingRecord> builder)
    {
        builder.ToTable("keyring");
        builder.Property(x => x.Id).ValueGeneratedNever();
        builder.Property(x => x.Kdf).HasMaxLength(32);
    }
}

internal sealed class DataKeyRecordConfiguration : IEntityTypeConfiguration<DataKeyRecord>
{
    public void Configure(EntityTypeBuilder<DataKeyRecord> builder)
    {
        builder.ToTable("data_keys");
        builder.Property(x => x.Id).ValueGeneratedNever();
    }
}
