package console

import (
	"bytes"
	"context"
	"html/template"
	"net/http"
	"strings"

	"github.com/cloudwego/hertz/pkg/app"
)

// loginPage is the form a browser without a session gets, with a 401.
var loginPage = template.Must(template.ParseFS(assets, "assets/login.html"))

// loginView is what the login page shows.
type loginView struct {
	Problem string // why the last attempt failed; "" on first view
}

// refused answers a console request the guard refused: JSON for the
// console's own API, the login page for everything else.
func (con *Console) refused(_ context.Context, c *app.RequestContext) {
	if strings.HasPrefix(string(c.Request.URI().Path()), Prefix+"api/") {
		c.JSON(http.StatusUnauthorized, map[string]string{"error": "admin token required: sign in at " + Prefix})
		return
	}
	con.showLogin(c, "")
}

func (con *Console) showLogin(c *app.RequestContext, problem string) {
	var buf bytes.Buffer
	if err := loginPage.Execute(&buf, loginView{Problem: problem}); err != nil {
		c.String(http.StatusInternalServerError, "login page: %v", err)
		return
	}
	securityHeaders(c)
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusUnauthorized, "text/html; charset=utf-8", buf.Bytes())
}

// login takes the token a person pasted (form field "token"): a match
// sets the session cookie and goes to the console; anything else shows
// the form again, saying why.
func (con *Console) login(_ context.Context, c *app.RequestContext) {
	g := con.opts.Guard
	if g == nil || !g.Enabled() {
		c.Redirect(http.StatusSeeOther, []byte(Prefix)) // nothing to sign in to
		return
	}
	token := strings.TrimSpace(c.PostForm("token"))
	switch {
	case token == "":
		con.showLogin(c, "Paste the admin token (admin.token or the contents of admin.tokenFile).")
	case !g.StartSession(c, token):
		con.showLogin(c, "That token was not accepted.")
	default:
		c.Redirect(http.StatusSeeOther, []byte(Prefix))
	}
}

// logout ends the session and shows the login form.
func (con *Console) logout(_ context.Context, c *app.RequestContext) {
	if g := con.opts.Guard; g != nil {
		g.EndSession(c)
	}
	c.Redirect(http.StatusSeeOther, []byte(Prefix))
}
