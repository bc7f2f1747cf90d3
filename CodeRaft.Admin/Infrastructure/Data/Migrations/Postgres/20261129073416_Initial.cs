using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CodeRaft.Admin.Infrastructure.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class Initial : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "data_keys",
                columns: table => new
                {
                    id = table.Column<int>(type: "integer", nullable: false),
                    wrapped_key = table.Column<byte[]>(type: "bytea", nullable: false),
                    is_active = table.Column<bool>(type: "boolean", nullable: false),
                    created_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_data_keys", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "keyring",
                columns: table => new
                {
                    id = table.Column<int>(type: "integer", nullable: false),
                    kdf = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    iterations = table.Column<int>(type: "integer", nullable: false),
                    salt = table.Column<byte[]>(type: "bytea", nullable: false),
                    key_check = table.Column<byte[]>(type: "bytea", nullable: false),
                    created_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    rotated_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_keyring", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "system_secrets",
                columns: table => new
                {
                    name = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    created_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    value = table.Column<byte[]>(type: "bytea", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_system_secrets", x => x.name);
                });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "data_keys");

            migrationBuilder.DropTable(
                name: "keyring");

            migrationBuilder.DropTable(
                name: "system_secrets");
        }
    }
}
