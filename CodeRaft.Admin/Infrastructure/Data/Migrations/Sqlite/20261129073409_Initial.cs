using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CodeRaft.Admin.Infrastructure.Data.Migrations.Sqlite
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
                    id = table.Column<int>(type: "INTEGER", nullable: false),
                    wrapped_key = table.Column<byte[]>(type: "BLOB", nullable: false),
                    is_active = table.Column<bool>(type: "INTEGER", nullable: false),
                    created_at = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_data_keys", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "keyring",
                columns: table => new
                {
                    id = table.Column<int>(type: "INTEGER", nullable: false),
                    kdf = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    iterations = table.Column<int>(type: "INTEGER", nullable: false),
                    salt = table.Column<byte[]>(type: "BLOB", nullable: false),
                    key_check = table.Column<byte[]>(type: "BLOB", nullable: false),
                    created_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    rotated_at = table.Column<DateTime>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_keyring", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "system_secrets",
                columns: table => new
                {
                    name = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    created_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    value = table.Column<byte[]>(type: "BLOB", nullable: true)
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
