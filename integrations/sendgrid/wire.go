package sendgrid

type address struct {
	Email string `json:"email"`
	Name  string `json:"name,omitempty"`
}

type personalization struct {
	To         []address         `json:"to"`
	CustomArgs map[string]string `json:"custom_args,omitempty"`
}

type content struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

type mailSettings struct {
	SandboxMode *enable `json:"sandbox_mode,omitempty"`
}

type enable struct {
	Enable bool `json:"enable"`
}

// mailBody is the v3 mail/send body.
type mailBody struct {
	Personalizations []personalization `json:"personalizations"`
	From             address           `json:"from"`
	ReplyTo          *address          `json:"reply_to,omitempty"`
	Subject          string            `json:"subject"`
	Content          []content         `json:"content"`
	Categories       []string          `json:"categories,omitempty"`
	MailSettings     *mailSettings     `json:"mail_settings,omitempty"`
}

// errorBody is SendGrid's error envelope.
type errorBody struct {
	Errors []struct {
		Message string  `json:"message"`
		Field   *string `json:"field"`
		Help    any     `json:"help"`
	} `json:"errors"`
}
