using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CodeRaft.Admin.Infrastructure.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Licenses : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "licenses",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    license_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    product = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    organization_id = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    organization_name = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    plan = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    features = table.Column<string>(type: "TEXT", maxLength: 4200, nullable: false),
                    max_users = table.Column<int>(type: "INTEGER", nullable: false),
                    issued_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    expires_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    key = table.Column<string>(type: "TEXT", maxLength: 16384, nullable: false),
                    key_fingerprint = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    installed_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    installed_by = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    removed_at = table.Column<DateTime>(type: "TEXT", nullable: true),
                    removed_by = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    removed_how = table.Column<string>(type: "TEXT", maxLength: 16, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_licenses", x => x.id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_licenses_product_removed_at",
                table: "licenses",
                columns: new[] { "product", "removed_at" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "licenses");
        }
    }
}
