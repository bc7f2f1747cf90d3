using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CodeRaft.Admin.Infrastructure.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class AuditLog : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "audit_checkpoints",
                columns: table => new
                {
                    sequence = table.Column<long>(type: "bigint", nullable: false),
                    timestamp = table.Column<string>(type: "text", nullable: false),
                    hash = table.Column<string>(type: "text", nullable: false),
                    key_id = table.Column<string>(type: "text", nullable: false),
                    signature = table.Column<string>(type: "text", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_audit_checkpoints", x => new { x.sequence, x.timestamp });
                });

            migrationBuilder.CreateTable(
                name: "audit_entries",
                columns: table => new
                {
                    sequence = table.Column<long>(type: "bigint", nullable: false),
                    timestamp = table.Column<string>(type: "text", nullable: false),
                    product = table.Column<string>(type: "text", nullable: false),
                    category = table.Column<string>(type: "text", nullable: false),
                    action = table.Column<string>(type: "text", nullable: false),
                    outcome = table.Column<string>(type: "text", nullable: false),
                    actor_type = table.Column<string>(type: "text", nullable: false),
                    actor_id = table.Column<string>(type: "text", nullable: false),
                    actor_name = table.Column<string>(type: "text", nullable: false),
                    source_ip = table.Column<string>(type: "text", nullable: false),
                    target_type = table.Column<string>(type: "text", nullable: false),
                    target_id = table.Column<string>(type: "text", nullable: false),
                    details = table.Column<string>(type: "text", nullable: false),
                    previous_hash = table.Column<string>(type: "text", nullable: false),
                    hash = table.Column<string>(type: "text", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_audit_entries", x => x.sequence);
                });

            migrationBuilder.CreateIndex(
                name: "IX_audit_checkpoints_timestamp",
                table: "audit_checkpoints",
                column: "timestamp");

            migrationBuilder.CreateIndex(
                name: "IX_audit_entries_action_sequence",
                table: "audit_entries",
                columns: new[] { "action", "sequence" });

            migrationBuilder.CreateIndex(
                name: "IX_audit_entries_category_sequence",
                table: "audit_entries",
                columns: new[] { "category", "sequence" });

            migrationBuilder.CreateIndex(
                name: "IX_audit_entries_outcome_sequence",
                table: "audit_entries",
                columns: new[] { "outcome", "sequence" });

            migrationBuilder.CreateIndex(
                name: "IX_audit_entries_product_sequence",
                table: "audit_entries",
                columns: new[] { "product", "sequence" });

            migrationBuilder.CreateIndex(
                name: "IX_audit_entries_timestamp",
                table: "audit_entries",
                column: "timestamp");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "audit_checkpoints");

            migrationBuilder.DropTable(
                name: "audit_entries");
        }
    }
}
