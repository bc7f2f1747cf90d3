using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CodeRaft.Admin.Infrastructure.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class AuditAppendAtHead : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Hand-written (SQL only; ADR-005): a row may only be inserted at the head of the chain, linked to it.
            // Refuses rows below 1, gaps, and entries whose previous_hash is not the current head's hash.
            migrationBuilder.Sql("""
                CREATE TRIGGER audit_entries_append_at_head BEFORE INSERT ON audit_entries
                WHEN NEW.sequence <> COALESCE((SELECT MAX(sequence) FROM audit_entries), 0) + 1
                  OR NEW.previous_hash <> COALESCE((SELECT hash FROM audit_entries ORDER BY sequence DESC LIMIT 1), '0000000000000000000000000000000000000000000000000000000000000000')
                BEGIN SELECT RAISE(ABORT, 'audit entries are appended at the head of the chain only'); END;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS audit_entries_append_at_head;");
        }
    }
}
